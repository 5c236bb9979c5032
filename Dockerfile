# Builds zk-server and runs it on /conf/zoo.cfg. Used by docker-compose.yml.
FROM swift:6.0-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libz-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product zk-server --static-swift-stdlib

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends zlib1g ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/.build/release/zk-server /usr/local/bin/zk-server
COPY conf /conf
VOLUME /data
EXPOSE 2181 2888 3888
# ZOO_MY_ID names this server (server.N in zoo.cfg), as in the official ZooKeeper image.
CMD ["sh", "-c", "mkdir -p /data && echo ${ZOO_MY_ID:-1} > /data/myid && exec zk-server /conf/docker/zoo.cfg"]
