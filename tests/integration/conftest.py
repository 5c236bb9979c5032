"""Fixtures for the Tusk compatibility suite.

ZK_TARGET=tusk|zookeeper (default tusk) picks the server under test;
TUSK_BIN overrides the Tusk binary (default <repo>/.build/debug/zk-server).
"""

import itertools
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


@pytest.fixture(scope="session")
def server():
    """The shared server for most tests (tickTime=500, all 4lw, extended types)."""
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
