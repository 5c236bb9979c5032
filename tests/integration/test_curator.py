"""Interop with Apache Curator 5 (Debian's libcurator-recipes-java): the Swift recipes and
Curator's share one election and one lock, node for node.

tests/integration/java/CuratorPeer.java is compiled with javac at test time; the Swift side
is the example binaries (leader-election, distributed-lock).  Against ZK_TARGET=tusk|zookeeper.
Every wait is bounded; only processes started here are signalled.
"""

import os
import shutil
import signal
import subprocess
import time

import pytest
from kazoo.exceptions import NoNodeError

from .examples import ExampleProcess

JAVA_DIR = os.path.join(os.path.dirname(__file__), "java")
JARS = ["curator-framework", "curator-client", "curator-recipes", "zookeeper", "zookeeper-jute", "guava",
        "slf4j-api", "slf4j-nop"]
SESSION_MS = "4000"


@pytest.fixture(scope="module")
def classpath(tmp_path_factory):
    jars = ["/usr/share/java/%s.jar" % j for j in JARS]
    missing = [j for j in jars if not os.path.exists(j)]
    assert not missing, "missing %s: run scripts/install-test-deps (libcurator-recipes-java)" % missing
    assert shutil.which("javac"), "javac not found: run scripts/install-test-deps"
    out = str(tmp_path_factory.mktemp("curator-classes"))
    cp = ":".join(jars)
    subprocess.run(["javac", "-d", out, "-cp", cp, os.path.join(JAVA_DIR, "CuratorPeer.java")],
                   check=True, timeout=120)
    return out + ":" + cp


@pytest.fixture
def procs():
    started = []

    def start(name, args, label=None, argv=None, stdin=False):
        p = ExampleProcess(name, args, label, argv=argv, stdin=stdin)
        started.append(p)
        return p

    yield start
    for p in started:
        p.kill()


def java_peer(procs, classpath, label, *args):
    return procs("java", [], label, argv=["java", "-cp", classpath, "CuratorPeer"] + list(args), stdin=True)


def children(zk, path):
    try:
        return zk.get_children(path)
    except NoNodeError:
        return []


def by_sequence(names):
    return sorted(names, key=lambda n: n.rsplit("-", 1)[-1])


def wait_children(zk, path, n, timeout=20):
    deadline = time.monotonic() + timeout
    while len(children(zk, path)) != n:
        assert time.monotonic() < deadline, (path, n, children(zk, path))
        time.sleep(0.05)
    return by_sequence(children(zk, path))


def test_leader_latch_swift_and_curator_share_one_election(server, base, procs, classpath, zk):
    path = base + "/leader"
    swift_args = ["--server", server.hosts, "--path", path, "--session-timeout-ms", SESSION_MS]

    # Swift first: it leads, Curator queues behind it.
    swift = procs("leader-election", swift_args + ["--name", "swift-1"], "swift-1")
    swift.wait_line("swift-1 is now the leader", 20)
    java = java_peer(procs, classpath, "java-1", "latch", server.hosts, path, "java-1")
    java.wait_line("java-1 started", 30)
    nodes = wait_children(zk, path, 2)
    # The same layout on both sides: _c_<uuid>-latch-<seq>, data = participant id.
    assert all(n.startswith("_c_") and "-latch-" in n for n in nodes), nodes
    assert [zk.get(path + "/" + n)[0] for n in nodes] == [b"swift-1", b"java-1"]
    java.send("nodes")
    java.wait_line("java-1 nodes: " + ",".join(sorted(nodes)), 10)  # Curator sees the Swift node
    assert "java-1 is now the leader" not in java.text()

    # The Swift leader steps down: leadership passes to Curator.
    swift.signal(signal.SIGTERM)
    assert swift.wait_exit(10) == 0
    java.wait_line("java-1 is now the leader", 10)
    assert wait_children(zk, path, 1) == [nodes[1]]

    # A Swift participant joins behind Curator and does not lead ...
    swift2 = procs("leader-election", swift_args + ["--name", "swift-2"], "swift-2")
    nodes = wait_children(zk, path, 2)
    assert zk.get(path + "/" + nodes[1])[0] == b"swift-2"
    # ... until Curator closes its latch.
    assert "swift-2 is now the leader" not in swift2.text()
    java.send("close")
    java.wait_line("java-1 closed", 15)
    assert java.wait_exit(15) == 0
    swift2.wait_line("swift-2 is now the leader", 10)
    assert "java-1 is no longer the leader" in java.text()
    assert wait_children(zk, path, 1) == [nodes[1]]
    swift2.signal(signal.SIGTERM)
    assert swift2.wait_exit(10) == 0


def test_mutex_swift_and_curator_exclude_each_other(server, base, procs, classpath, zk, tmp_path):
    path = base + "/lock"
    counter = tmp_path / "counter"
    counter.write_text("0\n")
    swift_args = ["--server", server.hosts, "--path", path, "--session-timeout-ms", SESSION_MS,
                  "--counter-file", str(counter), "--work-interval-ms", "100"]

    # Swift holds; Curator queues; each sees the other's lock- node.
    swift = procs("distributed-lock", swift_args + ["--name", "swift-a", "--hold", "60"], "swift-a")
    swift.wait_for(lambda l: l.startswith("swift-a acquired "), 20)
    java = java_peer(procs, classpath, "java-a", "mutex", server.hosts, path, "java-a", "1", "-1", str(counter))
    java.wait_line("java-a waiting for %s" % path, 30)
    nodes = wait_children(zk, path, 2)
    assert all(n.startswith("_c_") and "-lock-" in n for n in nodes), nodes
    token = swift.wait_for(lambda l: " acquired " in l, 1)[2].split()[-1]
    swift.wait_line("swift-a working with fencing token %s, lock nodes: %s" % (token, ",".join(sorted(nodes))), 10)
    assert not any(l.startswith("java-a acquired") for l in java.text())

    # Swift releases (SIGTERM ends its hold); Curator gets the lock, Swift queues behind it.
    swift.signal(signal.SIGTERM)
    assert swift.wait_exit(10) == 0
    java.wait_line("java-a acquired %s" % path, 15)
    swift2 = procs("distributed-lock", swift_args + ["--name", "swift-b", "--hold", "0.2"], "swift-b")
    nodes = wait_children(zk, path, 2)
    java.send("nodes")
    java.wait_line("java-a working, lock nodes: %s" % ",".join(sorted(nodes)), 10)
    # swift-b's node is queued behind Curator's, so it cannot hold the lock yet.
    assert not any(" acquired " in l for l in swift2.text())
    java.send("release")
    assert java.wait_exit(15) == 0
    swift2.wait_for(lambda l: l.startswith("swift-b acquired "), 10)
    assert swift2.wait_exit(15) == 0
    assert counter.read_text().strip() == "3"

    # Both kinds at once, several rounds each: every read-modify-write survives.
    counter.write_text("0\n")
    peers = [procs("distributed-lock", swift_args + ["--name", "swift-%d" % i, "--hold", "0.2",
                                                     "--iterations", "3"], "swift-%d" % i) for i in range(2)]
    peers += [java_peer(procs, classpath, "java-%d" % i, "mutex", server.hosts, path, "java-%d" % i, "3", "200",
                        str(counter)) for i in range(2)]
    for p in peers:
        assert p.wait_exit(90) == 0, (p.label, p.text()[-5:], p.stderr[-5:])
    assert counter.read_text().strip() == "12"
    # Holds ordered by the counter value each one read: 0..11, each exactly once.
    reads = sorted(int(l.split()[-3]) for p in peers for l in p.text() if " counter " in l)
    assert reads == list(range(12))
    assert children(zk, path) == []
