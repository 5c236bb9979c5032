"""Fixtures for the Tusk compatibility suite.

ZK_TARGET=tusk|zookeeper (default tusk) picks the server under test;
TUSK_BIN overrides the Tusk binary (default <repo>/.build/debug/zk-server).
ZK_TOPOLOGY=ensemble makes the shared `server` a follower of a 3-server ensemble
(the single-node suite must pass unchanged against it).
"""

import itertools
import os
import re

import pytest
from kazoo.client import KazooClient

from . import jute
from .servers import LIVE, Server, target

# ZooKeeper's ContainerManager (which also reaps TTL nodes) runs every 60 s by
# default; tests that wait for reaping need a short interval.  Tusk is expected
# to honour the same system property (passed as argv before the cfg path).
FAST_REAPER = {"znode.container.checkIntervalMs": "200"}


@pytest.fixture(scope="session")
def zk_target():
    return target()


def topology():
    return os.environ.get("ZK_TOPOLOGY", "standalone")


def expected_mode(srv):
    """srvr's Mode for a server of the suite: a member of an ensemble (Member has a sid)
    is the follower the fixture picked; otherwise standalone."""
    return "follower" if getattr(srv, "sid", None) is not None else "standalone"


def session_id_server_byte(srv):
    """The high byte of session ids: the server id in an ensemble, 1 when standalone."""
    return getattr(srv, "sid", None) or 1


@pytest.fixture(scope="session")
def server():
    """The shared server for most tests (tickTime=500, all 4lw, extended types)."""
    if topology() == "ensemble":
        from .ensemble import Ensemble
        e = Ensemble(3, cfg={"tickTime": "500"}, sysprops=FAST_REAPER)
        e.start()
        yield e.followers()[0]
        e.cleanup()
        return
    s = Server(sysprops=FAST_REAPER, name="shared-" + target())
    s.start()
    yield s
    s.cleanup()


@pytest.fixture
def server_factory():
    """Start extra servers with custom cfg/sysprops; all are stopped after the test."""
    started = []

    def make(cfg=None, sysprops=None, kind=None, name=None):
        s = Server(kind=kind, cfg=cfg, sysprops=sysprops, name=name or "custom")
        started.append(s)
        return s.start()

    yield make
    for s in started:
        s.cleanup()


_seq = itertools.count()


@pytest.fixture
def base(request, server):
    """A fresh persistent node unique to this test, e.g. /it/test_foo-3."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)[:80]
    path = "/it-%s-%d" % (name, next(_seq))
    c = server.jute()
    rep = c.create(path)
    assert rep.err == jute.OK, rep
    c.close()
    return path


def make_kazoo(srv, **kw):
    kw.setdefault("timeout", 10.0)
    zk = KazooClient(hosts=srv.hosts, **kw)
    zk.start(timeout=15)
    return zk


@pytest.fixture
def zk(server):
    c = make_kazoo(server)
    yield c
    c.stop()
    c.close()


@pytest.fixture
def kazoo_factory():
    clients = []

    def make(srv, **kw):
        c = make_kazoo(srv, **kw)
        clients.append(c)
        return c

    yield make
    for c in clients:
        try:
            c.stop()
            c.close()
        except Exception:
            pass


@pytest.fixture
def jc(server):
    """A raw jute client session on the shared server."""
    c = server.jute()
    yield c
    try:
        c.close()
    except Exception:
        pass


@pytest.fixture
def jute_factory():
    clients = []

    def make(srv, **kw):
        c = srv.jute(**kw)
        clients.append(c)
        return c

    yield make
    for c in clients:
        try:
            c.close()
        except Exception:
            pass


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for s in list(LIVE):
            rep.sections.append(("server %s (%s, port %s) stderr tail: %s" % (s.name, s.kind, s.port, s.log_path),
                                 s.log_tail(30)))


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "tusk_known_failure(reason): a known Tusk divergence from ZooKeeper 3.8; runs normally "
        "against ZooKeeper, is reported as xfail (non-strict) against Tusk until fixed")


def pytest_collection_modifyitems(config, items):
    if target() != "tusk":
        return
    for item in items:
        m = item.get_closest_marker("tusk_known_failure")
        if m is not None:
            reason = m.kwargs.get("reason") or (m.args[0] if m.args else "known Tusk divergence")
            item.add_marker(pytest.mark.xfail(reason="known Tusk divergence: " + reason, strict=False))
