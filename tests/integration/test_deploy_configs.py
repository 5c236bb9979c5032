"""The shipped deployment files: docker-compose.yml parses, and its zoo.cfg runs a real
3-node ensemble natively (hostnames and ports rewritten to free loopback ports)."""

import os
import re
import subprocess

import pytest
import yaml

from . import servers
from .ensemble import Ensemble
from .test_ensemble import connected

REPO = servers.REPO


def test_docker_compose_file_is_valid():
    out = subprocess.run(["docker-compose", "-f", os.path.join(REPO, "docker-compose.yml"), "config"],
                         capture_output=True, text=True, timeout=60, cwd=REPO)
    assert out.returncode == 0, out.stderr
    cfg = yaml.safe_load(out.stdout)
    assert sorted(cfg["services"]) == ["zk1", "zk2", "zk3"]
    ids = sorted(s["environment"]["ZOO_MY_ID"] for s in cfg["services"].values())
    assert ids == ["1", "2", "3"]
    assert sorted(p["published"] for s in cfg["services"].values() for p in s["ports"]) == [2181, 2182, 2183]


def test_compose_zoo_cfg_runs_an_ensemble_natively():
    with open(os.path.join(REPO, "conf", "docker", "zoo.cfg")) as f:
        text = f.read()
    keys = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            k, _, v = line.partition("=")
            keys[k] = v
    assert [k for k in keys if k.startswith("server.")] == ["server.1", "server.2", "server.3"]
    assert all(re.fullmatch(r"zk\d:2888:3888", keys["server.%d" % i]) for i in (1, 2, 3))
    # Every other key as shipped; the Ensemble helper supplies ports, hosts and dataDir.
    cfg = {k: v for k, v in keys.items()
           if not k.startswith("server.") and k not in ("clientPort", "clientPortAddress", "dataDir")}
    with Ensemble(3, cfg=cfg) as e, connected(e.hosts) as zk:
        modes = e.modes()
        assert sorted(modes.values()) == ["follower", "follower", "leader"], modes
        zk.create("/deployed", b"ok")
        assert zk.get("/deployed")[0] == b"ok"
