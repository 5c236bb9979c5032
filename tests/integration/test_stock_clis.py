"""Stock ZooKeeper command-line clients against the server: Java zkCli.sh and the C cli_mt."""

import os
import queue
import re
import subprocess
import threading
import time

import pytest

from . import jute

ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"
CLI_MT = "/usr/lib/zookeeper/bin/cli_mt"
TIMEOUT = 60


def zkcli(server, *args, stdin=None):
    """Run zkCli.sh; returns (stdout, stderr).  JVM start dominates, so keep calls few."""
    p = subprocess.run([ZKCLI, "-server", server.hosts] + list(args), input=stdin if stdin is not None else "",
                       capture_output=True, text=True, timeout=TIMEOUT)
    return p.stdout, p.stderr


def test_zkcli_one_shot_commands(server, base):
    out, err = zkcli(server, "create", base + "/one", "hello")
    assert "Created %s/one" % base in out + err
    out, err = zkcli(server, "get", "-s", base + "/one")
    lines = out.splitlines()
    assert "hello" in lines
    assert "dataVersion = 0" in lines and "dataLength = 5" in lines and "numChildren = 0" in lines
    assert any(re.fullmatch(r"cZxid = 0x[0-9a-f]+", l) for l in lines)
    assert "ephemeralOwner = 0x0" in lines
    out, err = zkcli(server, "ls", base)
    assert "[one]" in out.splitlines()
    out, err = zkcli(server, "get", base + "/missing")
    assert "Node does not exist: %s/missing" % base in out + err


def test_zkcli_batched_session(server, base):
    b = base
    script = "\n".join([
        "create %s/n v1" % b,
        "create %s/n again" % b,
        "set %s/n v2" % b,
        "get %s/n" % b,
        "stat %s/n" % b,
        "create -s %s/n/s- x" % b,
        "create -e %s/e" % b,
        "create -c %s/c" % b,
        "create -t 60000 %s/t" % b,
        "create %s/missing/x" % b,
        "ls %s" % b,
        "ls %s/n" % b,
        "ls -s %s/n" % b,
        "getAcl %s/n" % b,
        "setAcl %s/n world:anyone:r" % b,
        "getAcl %s/n" % b,
        "set %s/n v3" % b,
        "addauth digest alice:pw",
        "create %s/d secret auth::cdrwa" % b,
        "getAcl %s/d" % b,
        "delete %s/nothere" % b,
        "create %s/tree" % b,
        "create %s/tree/a" % b,
        "create %s/tree/a/b" % b,
        "deleteall %s/tree" % b,
        "delete %s/e" % b,
        "ls %s" % b,
        "quit",
    ]) + "\n"
    out, err = zkcli(server, stdin=script)
    both = out + err
    for created in ("/n", "/n/s-0000000000", "/e", "/c", "/t", "/d", "/tree", "/tree/a", "/tree/a/b"):
        assert "Created %s%s" % (b, created) in both, created
    assert "Node already exists: %s/n" % b in both
    assert "Node does not exist: %s/missing/x" % b in both
    assert "Node does not exist: %s/nothere" % b in both
    assert "Insufficient permission : %s/n" % b in both
    lines = out.splitlines()
    assert "v2" in lines
    assert "dataVersion = 1" in lines            # stat after one set
    assert "[c, e, n, t]" in lines              # zkCli sorts children
    assert "[s-0000000000]" in lines
    assert "[c, d, n, t]" in lines              # after deleteall and delete
    assert "'world,'anyone" in lines and ": cdrwa" in lines and ": r" in lines
    assert "'digest,'alice:V55/p2T0OpjQ+low3NVAH4aLvm0=" in lines  # base64(sha1("alice:pw"))
    # verify through the wire what the CLI did
    c = server.jute()
    try:
        assert c.get_data(b + "/n").body[0] == b"v2"
        assert c.get_acl(b + "/n").body[0] == [jute.ACL(1, "world", "anyone")]
        assert c.exists(b + "/tree").err == jute.NONODE
        assert c.exists(b + "/e").err == jute.NONODE
        assert c.get_children(b + "/n").body == ["s-0000000000"]
    finally:
        c.close()


class CliMt:
    """Drives the C client's cli_mt over stdin, one command at a time."""

    def __init__(self, server):
        # stdbuf: cli_mt prints some results with printf; keep its stdout line-buffered
        self.p = subprocess.Popen(["stdbuf", "-oL", "-eL", CLI_MT, server.hosts], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.q = queue.Queue()
        self.buf = ""
        threading.Thread(target=self._pump, daemon=True).start()
        self.expect(r"Watcher SESSION_EVENT state = CONNECTED_STATE")

    def _pump(self):
        for line in self.p.stdout:
            self.q.put(line)
        self.q.put(None)

    def expect(self, pattern, timeout=15):
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.S)
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("cli_mt: %r not seen; output so far:\n%s" % (pattern, self.buf))
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("cli_mt exited; output:\n%s" % self.buf)
            self.buf += line

    def send(self, cmd, pattern, timeout=15):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        return self.expect(pattern, timeout)

    def send_all(self, cmd, patterns, timeout=15):
        """Send cmd and wait until every pattern has appeared, in any order
        (cli_mt prints completions and watch events from different threads)."""
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        deadline = time.monotonic() + timeout
        while not all(re.search(p, self.buf, re.S) for p in patterns):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("cli_mt: %r not all seen; output:\n%s" % (patterns, self.buf))
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("cli_mt exited; output:\n%s" % self.buf)
            self.buf += line
        self.buf = ""

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait(10)


@pytest.fixture
def climt(server):
    c = CliMt(server)
    yield c
    c.close()


def test_cli_mt_crud(climt, server, base):
    b = re.escape(base)
    # cli_mt creates nodes with the data "new"
    climt.send("create %s/c" % base, r"\[%s/c\]: rc = 0\n\tname = %s/c\n" % (b, b))
    m = climt.send("get %s/c" % base, r"%s/c: rc = 0\n value_len = 3\nnew\nStat:\n(.*?)ephemeralOwner = 0\n" % b)
    assert "version=0" in m.group(1)
    climt.send("ls %s" % base, r"%s: rc = 0\n\tc\n" % b)
    # the get above left a data watch: set fires it (CHANGED_EVENT) and returns the new stat
    climt.send_all("set %s/c world" % base, [r"Watcher CHANGED_EVENT state = CONNECTED_STATE for path %s/c" % b,
                                              r"%s/c: rc = 0 Stat:\n.*?version=1" % b])
    climt.send("get %s/c" % base, r"%s/c: rc = 0\n value_len = 5\nworld\nStat:\n.*?ephemeralOwner = 0\n" % b)
    # the threaded cli_mt runs exists synchronously and prints nothing when the node
    # exists (only "Error <rc> for <path>" otherwise): follow it with a marker command
    climt.p.stdin.write("exists %s/c\n" % base)
    m = climt.send("ls %s" % base, r"^(.*?)%s: rc = 0\n\tc\n" % b)
    assert "Error" not in m.group(1)
    climt.send("create +e %s/e" % base, r"\[%s/e\]: rc = 0\n\tname = %s/e\n" % (b, b))
    climt.send("create +s %s/s-" % base, r"\[%s/s-\]: rc = 0\n\tname = %s/s-0000000002\n" % (b, b))
    climt.send_all("delete %s/c" % base, [r"Watcher DELETED_EVENT state = CONNECTED_STATE for path %s/c" % b,
                                           r"%s/c: rc = 0\n" % b])
    climt.send("exists %s/c" % base, r"Error -101 for %s/c" % b)
    climt.send("get %s/nope" % base, r"%s/nope: rc = -101" % b)
    climt.send("create %s/e/child" % base, r"rc = -108")
    climt.send("delete %s" % base, r"rc = -111")
    c = server.jute()
    try:
        assert sorted(c.get_children(base).body) == ["e", "s-0000000002"]
    finally:
        c.close()


def test_zkcli_36_commands(server, base):
    """zkCli commands backed by 3.6+ opcodes: whoami, getEphemerals, getAllChildrenNumber,
    addWatch, removewatches, sync, ls -R, get -w."""
    b = base
    script = "\n".join([
        "create %s/e1 x" % b,
        "create -e %s/eph" % b,
        "whoami",
        "getEphemerals %s" % b,
        "getAllChildrenNumber %s" % b,
        "addWatch -m PERSISTENT_RECURSIVE %s" % b,
        "create %s/e1/deep" % b,
        "sync %s" % b,
        "get -w %s/e1" % b,
        "set %s/e1 y" % b,
        "removewatches %s" % b,
        "ls -R %s" % b,
        "quit",
    ]) + "\n"
    out, err = zkcli(server, stdin=script)
    lines = out.splitlines()
    assert "Auth scheme: User" in lines and "ip: 127.0.0.1" in lines
    assert "[%s/eph]" % b in lines
    assert "2" in lines  # getAllChildrenNumber before /e1/deep existed
    assert "WatchedEvent state:SyncConnected type:NodeCreated path:%s/e1/deep" % b in lines
    assert "Sync is OK" in lines
    # the set fires the one-shot and the recursive watch of one session: one event
    assert lines.count("WatchedEvent state:SyncConnected type:NodeDataChanged path:%s/e1" % b) == 1
    assert "WatchedEvent state:SyncConnected type:PersistentWatchRemoved path:%s" % b in lines
    tree = lines[lines.index("WatchedEvent state:SyncConnected type:PersistentWatchRemoved path:%s" % b) + 1:]
    assert sorted(tree[:4]) == sorted([b, b + "/e1", b + "/eph", b + "/e1/deep"])


class ZkCliSession(CliMt):
    """An interactive zkCli.sh fed over stdin (JLine is disabled on a pipe)."""

    def __init__(self, server):
        self.p = subprocess.Popen([ZKCLI, "-server", server.hosts], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.q = queue.Queue()
        self.buf = ""
        threading.Thread(target=self._pump, daemon=True).start()
        self.expect(r"WatchedEvent state:SyncConnected type:None path:null", timeout=60)


def test_zkcli_rewatches_after_server_restart(server_factory):
    """The Java client re-registers its watches (setWatches/setWatches2) after reconnecting to a
    restarted server, and the server fires them."""
    srv = server_factory(cfg={"maxSessionTimeout": "60000"})
    c = srv.jute()
    c.create("/rw", b"1")
    c.close()
    cli = ZkCliSession(srv)
    try:
        cli.send("get -w /rw", r"\n1\n")
        cli.send("ls -w /", r"\[.*rw.*\]\n")
        srv.restart()
        cli.expect(r"WatchedEvent state:Disconnected type:None path:null", timeout=60)
        cli.expect(r"WatchedEvent state:SyncConnected type:None path:null", timeout=60)
        d = srv.jute()
        try:
            d.set_data("/rw", b"2")
            cli.expect(r"WatchedEvent state:SyncConnected type:NodeDataChanged path:/rw", timeout=30)
            d.create("/rw2")
            cli.expect(r"WatchedEvent state:SyncConnected type:NodeChildrenChanged path:/", timeout=30)
        finally:
            d.close()
    finally:
        cli.close()
