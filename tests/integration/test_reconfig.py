"""`reconfig` (opcode 16): the checks ZooKeeper 3.8's PrepRequestProcessor makes before a
change is proposed, compared against real ZooKeeper 3.8 servers.

Tusk executes changes that add and remove servers (a change to a server that stays is
answered UNIMPLEMENTED); the error paths and removals are compared with ZooKeeper, joining
is tested on Tusk.
"""

import os
import subprocess
import threading
import time

import pytest
from kazoo.exceptions import (BadArgumentsError, BadVersionError, ConnectionLoss, NoAuthError, NodeExistsError,
                              OperationTimeoutError, ReconfigDisabledError, SessionExpiredError, UnimplementedError)

from .ensemble import Ensemble, Member
from .servers import Server, free_port
from .test_ensemble import client, connected

KINDS = ["tusk", "zookeeper"]
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def config_version(zk):
    data, _ = zk.get("/zookeeper/config")
    lines = data.decode().splitlines()
    versions = [l.split("=", 1)[1] for l in lines if l.startswith("version=")]
    assert len(versions) == 1, lines
    assert [l for l in lines if l.startswith("server.")], lines
    return int(versions[0], 16)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("enabled", [False, True])
def test_standalone_reconfig(kind, enabled):
    # Disabled: RECONFIGDISABLED; enabled on a standalone server: UNIMPLEMENTED (not a leader).
    with Server(kind=kind, cfg={"reconfigEnabled": "true" if enabled else "false"}) as s, connected(s.hosts) as zk:
        with pytest.raises(UnimplementedError if enabled else ReconfigDisabledError):
            zk.reconfig(joining=None, leaving="1", new_members=None)


@pytest.mark.parametrize("kind", KINDS)
def test_ensemble_reconfig_disabled(kind):
    with Ensemble(3, kind=kind) as e, connected(e.hosts) as zk:
        with pytest.raises(ReconfigDisabledError):
            zk.reconfig(joining=None, leaving="3", new_members=None)
        # still a working ensemble afterwards
        zk.create("/after-disabled", b"x")
        assert zk.get("/after-disabled")[0] == b"x"


@pytest.mark.parametrize("kind", KINDS)
def test_ensemble_reconfig_checks(kind):
    with Ensemble(3, kind=kind, cfg={"reconfigEnabled": "true"}) as e, connected(e.hosts) as zk:
        version = config_version(zk)
        before = zk.get("/zookeeper/config")[0]
        # stale curConfigId: BADVERSION (checked before anything else)
        with pytest.raises(BadVersionError):
            zk.reconfig(joining=None, leaving="3", new_members=None, from_config=version + 0x1234)
        # a joiner without all three ports: BADARGUMENTS
        with pytest.raises(BadArgumentsError):
            zk.reconfig(joining="server.4=127.0.0.1:1", leaving=None, new_members=None)
        # fewer than 2 voters left: BADARGUMENTS
        with pytest.raises(BadArgumentsError):
            zk.reconfig(joining=None, leaving="2,3", new_members=None)
        with pytest.raises(BadArgumentsError):
            zk.reconfig(joining=None, leaving=None, new_members="server.1=127.0.0.1:1:2;3")
        # a valid change from a client without WRITE on /zookeeper/config (world:anyone r): NOAUTH
        with pytest.raises(NoAuthError):
            zk.reconfig(joining=None, leaving="3", new_members=None, from_config=version)
        with pytest.raises(NoAuthError):
            zk.reconfig(joining=None, leaving="3", new_members=None)
        # nothing changed
        assert zk.get("/zookeeper/config")[0] == before
        zk.create("/after-checks", b"y")
        assert zk.get("/after-checks")[0] == b"y"


ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"
ZK_CLI = os.path.join(os.environ.get("EXAMPLES_BIN_DIR", os.path.join(REPO, ".build", "debug")), "zk-cli")


def cli_error_lines(argv):
    p = subprocess.run(argv, input="", capture_output=True, text=True, timeout=60)
    text = p.stdout + p.stderr
    return [l for l in text.splitlines() if " : " in l and not l.startswith("WatchedEvent")]


def test_zk_cli_reconfig_errors_match_zkcli():
    assert os.path.exists(ZK_CLI), "build zk-cli first (swift build --product zk-cli)"
    with Ensemble(3, kind="tusk", cfg={"reconfigEnabled": "true"}) as e:
        cases = [
            (["reconfig", "-remove", "3"], "Insufficient permission : "),
            (["reconfig", "-v", "1234", "-remove", "3"], "version No is not valid : "),
            (["reconfig", "-add", "server.4=127.0.0.1:1"], "Arguments are not valid : "),
        ]
        for argv, want in cases:
            ours = cli_error_lines([ZK_CLI, "-server", e.hosts] + argv)
            theirs = cli_error_lines([ZKCLI, "-server", e.hosts] + argv)
            assert want in theirs, (argv, theirs)
            assert ours == theirs, (argv, ours, theirs)


SUPER_PASSWORD = "reconfig-test"


def super_digest():
    import base64
    import hashlib
    return "super:" + base64.b64encode(hashlib.sha1(("super:" + SUPER_PASSWORD).encode()).digest()).decode()


def config_members(zk):
    data, stat = zk.get("/zookeeper/config")
    return sorted(int(l.split("=", 1)[0][len("server."):]) for l in data.decode().splitlines() if l.startswith("server.")), stat


class Writer(threading.Thread):
    """Creates sequential nodes until stopped; records every acknowledged write."""

    def __init__(self, hosts, base):
        super().__init__(daemon=True)
        self.zk = client(hosts)
        self.base = base
        self.acked = []
        self.stop_flag = threading.Event()
        self.zk.ensure_path(base)

    def run(self):
        i = 0
        while not self.stop_flag.is_set():
            path = "%s/n%06d" % (self.base, i)
            try:
                self.zk.create(path, b"x")
                self.acked.append(path)
            except NodeExistsError:
                self.acked.append(path)  # an earlier attempt committed before its connection was lost
            except (ConnectionLoss, SessionExpiredError, OperationTimeoutError):
                continue  # retry the same path
            i += 1

    def finish(self):
        self.stop_flag.set()
        self.join(60)
        assert not self.is_alive()
        self.zk.stop()
        self.zk.close()


@pytest.mark.parametrize("kind", KINDS)
def test_remove_leader_while_writing_then_restart(kind):
    e = Ensemble(3, kind=kind, cfg={"reconfigEnabled": "true"},
                 sysprops={"zookeeper.DigestAuthenticationProvider.superDigest": super_digest()})
    try:
        e.start()
        leader = e.leader()
        rest = [m for m in e.members if m is not leader]
        admin = client(",".join(m.hosts for m in rest))
        admin.add_auth("digest", "super:" + SUPER_PASSWORD)
        before, before_stat = config_members(admin)
        assert before == [1, 2, 3]
        fired = threading.Event()
        admin.get("/zookeeper/config", watch=lambda ev: fired.set() if ev.type == "CHANGED" else None)
        writer = Writer(",".join(m.hosts for m in rest), "/w")
        writer.start()
        deadline = time.monotonic() + 30
        while len(writer.acked) < 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        try:
            data, stat = admin.reconfig(joining=None, leaving=str(leader.sid), new_members=None)
            text = data.decode()
            assert "server.%d=" % leader.sid not in text, text
            assert sorted(int(l.split("=")[0][7:]) for l in text.splitlines() if l.startswith("server.")) == [m.sid for m in rest]
        except ConnectionLoss:
            # ZooKeeper's followers drop every client connection when the leader changes,
            # so the reply may be lost; Tusk's followers keep serving and answer.
            assert kind == "zookeeper"
        deadline_cfg = time.monotonic() + 30
        while True:
            try:
                members, stat = config_members(admin)
                if members == [m.sid for m in rest]:
                    break
            except ConnectionLoss:
                pass
            assert time.monotonic() < deadline_cfg, "the removal never showed in /zookeeper/config"
            time.sleep(0.05)
        # ZooKeeper applies reconfig as SetDataTxn(version -1), which leaves the Stat version
        # at -1; Tusk commits a setData, which counts versions (docs/COMPATIBILITY.md).
        if kind == "zookeeper":
            assert stat.version == before_stat.version == -1
        else:
            assert stat.version == before_stat.version + 1
        assert stat.mzxid > before_stat.mzxid
        assert fired.wait(10), "no NodeDataChanged on /zookeeper/config"
        n = len(writer.acked)
        while len(writer.acked) < n + 20 and time.monotonic() < deadline + 30:
            time.sleep(0.02)
        writer.finish()
        assert len(writer.acked) >= n + 20, "writes stalled after the reconfig"
        # A new leader among the remaining two; every acknowledged write is on both.
        e.wait_for_leader(30, exclude=(leader.sid,))
        for m in rest:
            with connected(m.hosts) as zk:
                zk.sync("/w")
                assert set(writer.acked) <= set("/w/" + c for c in zk.get_children("/w"))
                members, _ = config_members(zk)
                assert members == [m2.sid for m2 in rest]
        with pytest.raises(BadVersionError):
            admin.reconfig(joining=None, leaving=str(rest[0].sid), new_members=None, from_config=config_version(admin) + 1)
        # only two voters left: removing one more is refused
        with pytest.raises(BadArgumentsError):
            admin.reconfig(joining=None, leaving=str(rest[0].sid), new_members=None)
        admin.stop()
        admin.close()
        # The removed server is stopped; the other two restart with the committed membership.
        leader.stop()
        for m in rest:
            m.stop()
        for m in rest:
            m.launch()
        e.members = rest
        e.wait_for_leader(60)
        with connected(",".join(m.hosts for m in rest)) as zk:
            members, _ = config_members(zk)
            assert members == [m.sid for m in rest]
            zk.create("/after-restart", b"z")
            assert set(writer.acked) <= set("/w/" + c for c in zk.get_children("/w"))
        e.members = rest + [leader]
    finally:
        e.cleanup()


def wait_until(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if cond():
                return
        except (ConnectionLoss, OperationTimeoutError):
            pass
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def launch_joiner(e, sid, sysprops):
    """Starts server `sid` with a zoo.cfg listing the ensemble's servers and itself (as a
    joining ZooKeeper server is started); returns it and its `reconfig -add` spec."""
    peer, election = free_port(), free_port()
    m = Member(sid, "tusk", e.members[0].server_lines + ["server.%d=127.0.0.1:%d:%d" % (sid, peer, election)],
               dict(tickTime="200", initLimit="10", syncLimit="5", reconfigEnabled="true"), sysprops)
    m.launch()
    return m, "server.%d=127.0.0.1:%d:%d:participant;127.0.0.1:%d" % (sid, peer, election, m.port)


def test_add_fourth_server_while_writing_then_remove_one():
    """Tusk only (ZooKeeper's joiner needs a dynamic config file; not scripted here): a 4th
    server is added with reconfig while a client writes, catches up as a learner, becomes a
    voter (proved by stopping another server: 3 of the 4 voters must then include it), serves
    reads and writes; then server 1 is removed while the client writes. Every acknowledged
    write is on every remaining server, and the membership survives a restart."""
    sysprops = {"zookeeper.DigestAuthenticationProvider.superDigest": super_digest()}
    cfg = {"reconfigEnabled": "true"}
    e = Ensemble(3, kind="tusk", cfg=cfg, sysprops=sysprops).start()
    started = list(e.members)
    try:
        admin = client(e.hosts)
        admin.add_auth("digest", "super:" + SUPER_PASSWORD)
        writer = Writer(e.hosts, "/w")
        writer.start()
        wait_until(lambda: len(writer.acked) >= 20, 30, "writer made no progress")

        m4, joining = launch_joiner(e, 4, sysprops)
        started.append(m4)
        data, _ = admin.reconfig(joining=joining, leaving=None, new_members=None)
        assert joining.split(";")[0] in data.decode(), data.decode()
        assert config_members(admin)[0] == [1, 2, 3, 4]
        m4._wait_ready()
        e.members.append(m4)
        wait_until(lambda: m4.mode() == "follower", 30, "server 4 never became a voting follower")

        # Server 4 serves reads (after sync: everything acknowledged so far) and writes.
        zk4 = client(m4.hosts)
        n = len(writer.acked)
        zk4.sync("/w")
        assert set(writer.acked[:n]) <= set("/w/" + c for c in zk4.get_children("/w"))
        zk4.create("/via4", b"4")
        assert config_members(zk4)[0] == [1, 2, 3, 4]

        # With server 1 stopped, a quorum of the 4 voters needs server 4: writes still commit.
        s1 = e.members[0]
        s1.stop()
        e.wait_for_leader(30, exclude=(1,))
        zk4.create("/quorum-with-4", b"")
        n = len(writer.acked)
        wait_until(lambda: len(writer.acked) >= n + 20, 30, "writes stalled with server 1 down")
        s1.launch()
        s1._wait_ready()

        # Remove server 1 while the client writes.
        n = len(writer.acked)
        admin.stop()
        admin.close()
        admin = client(",".join(m.hosts for m in e.members[1:]))
        admin.add_auth("digest", "super:" + SUPER_PASSWORD)
        data, _ = admin.reconfig(joining=None, leaving="1", new_members=None)
        assert "server.1=" not in data.decode()
        wait_until(lambda: len(writer.acked) >= n + 20, 30, "writes stalled after removing server 1")
        writer.finish()
        s1.stop()
        e.members = e.members[1:]
        for m in e.members:
            with connected(m.hosts) as zk:
                zk.sync("/w")
                assert set(writer.acked) <= set("/w/" + c for c in zk.get_children("/w"))
                assert zk.exists("/via4") and zk.exists("/quorum-with-4")
                assert config_members(zk)[0] == [2, 3, 4]
        admin.stop()
        admin.close()
        zk4.stop()
        zk4.close()

        # The 3 remaining servers restart with the committed membership (2, 3, 4).
        for m in e.members:
            m.stop()
        for m in e.members:
            m.launch()
        e.wait_for_leader(60)
        with connected(e.hosts) as zk:
            assert config_members(zk)[0] == [2, 3, 4]
            zk.sync("/w")
            assert set(writer.acked) <= set("/w/" + c for c in zk.get_children("/w"))
    finally:
        for m in started:
            m.cleanup()


def test_stock_zkcli_config_and_reconfig_add_remove():
    """Apache's zkCli.sh (Debian) drives `config`, `reconfig -add` and `reconfig -remove`
    against a Tusk ensemble."""
    sysprops = {"zookeeper.DigestAuthenticationProvider.superDigest": super_digest()}
    e = Ensemble(3, kind="tusk", cfg={"reconfigEnabled": "true"}, sysprops=sysprops).start()
    started = list(e.members)
    try:
        m4, joiner = launch_joiner(e, 4, sysprops)
        started.append(m4)
        script = ("addauth digest super:%s\nconfig\nreconfig -add %s\nreconfig -remove 1\nconfig\nquit\n"
                  % (SUPER_PASSWORD, joiner))
        p = subprocess.run(["/usr/share/zookeeper/bin/zkCli.sh", "-server", e.members[1].hosts], input=script,
                           capture_output=True, text=True, timeout=120)
        out = p.stdout
        assert out.count("Committed new configuration:") == 2, out[-3000:]
        blocks = out.split("Committed new configuration:")
        after_add, after_remove = blocks[1], blocks[2]
        assert joiner in after_add and "server.1=" in after_add, after_add
        assert joiner in after_remove and "server.1=" not in after_remove, after_remove
        assert "version=2" in after_remove, after_remove
    finally:
        for m in started:
            m.cleanup()
