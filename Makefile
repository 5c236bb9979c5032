# Tusk: the two set-up commands are `make run` and `make test` (see README.md).
SWIFT ?= swift

.PHONY: run build build-release test test-deps unit-test integration-test cluster cluster-stop clean

## Build (release) and run the server on conf/zoo.cfg in the foreground.
run: build-release
	mkdir -p var/data
	.build/release/zk-server conf/zoo.cfg

build:
	$(SWIFT) build

build-release:
	$(SWIFT) build -c release --product zk-server

## Install every test dependency, then run all tests (unit, simulation, integration).
test:
	scripts/test

test-deps:
	scripts/install-test-deps

unit-test:
	$(SWIFT) test

integration-test: build
	python3 -m pytest tests/integration -q

## A 3-node ensemble on loopback (clients on 127.0.0.1:2181,2182,2183), no Docker needed.
cluster: build-release
	scripts/cluster start

cluster-stop:
	scripts/cluster stop

clean:
	rm -rf .build var
