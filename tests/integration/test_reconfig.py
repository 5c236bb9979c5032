"""`reconfig` (opcode 16): the checks ZooKeeper 3.8's PrepRequestProcessor makes before a
change is proposed, compared against real ZooKeeper 3.8 servers.

Tusk does not execute membership changes yet (a request passing every check is answered
UNIMPLEMENTED); these tests cover the error paths, which match ZooKeeper.
"""

import os
import subprocess
import threading
import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import (BadArgumentsError, BadVersionError, ConnectionLoss, NoAuthError, NodeExistsError,
                              OperationTimeoutError, ReconfigDisabledError, SessionExpiredError, UnimplementedError)
from kazoo.retry import KazooRetry

from .ensemble import Ensemble
from .servers import Server

KINDS = ["tusk", "zookeeper"]
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def client(hosts):
    zk = KazooClient(hosts=hosts, timeout=10.0, connection_retry=KazooRetry(max_tries=-1, delay=0.05, max_delay=0.5))
    zk.start(timeout=30)
    return zk


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
    with Server(kind=kind, cfg={"reconfigEnabled": "true" if enabled else "false"}) as s:
        zk = client(s.hosts)
        try:
            with pytest.raises(UnimplementedError if enabled else ReconfigDisabledError):
                zk.reconfig(joining=None, leaving="1", new_members=None)
        finally:
            zk.stop()
            zk.close()


@pytest.mark.parametrize("kind", KINDS)
def test_ensemble_reconfig_disabled(kind):
    e = Ensemble(3, kind=kind)
    try:
        e.start()
        zk = client(e.hosts)
        try:
            with pytest.raises(ReconfigDisabledError):
                zk.reconfig(joining=None, leaving="3", new_members=None)
            # still a working ensemble afterwards
            zk.create("/after-disabled", b"x")
            assert zk.get("/after-disabled")[0] == b"x"
        finally:
            zk.stop()
            zk.close()
    finally:
        e.cleanup()


@pytest.mark.parametrize("kind", KINDS)
def test_ensemble_reconfig_checks(kind):
    e = Ensemble(3, kind=kind, cfg={"reconfigEnabled": "true"})
    try:
        e.start()
        zk = client(e.hosts)
        try:
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
        finally:
            zk.stop()
            zk.close()
    finally:
        e.cleanup()


ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"
ZK_CLI = os.path.join(os.environ.get("EXAMPLES_BIN_DIR", os.path.join(REPO, ".build", "debug")), "zk-cli")


def cli_error_lines(argv):
    p = subprocess.run(argv, input="", capture_output=True, text=True, timeout=60)
    text = p.stdout + p.stderr
    return [l for l in text.splitlines() if " : " in l and not l.startswith("WatchedEvent")]


def test_zk_cli_reconfig_errors_match_zkcli():
    assert os.path.exists(ZK_CLI), "build zk-cli first (swift build --product zk-cli)"
    e = Ensemble(3, kind="tusk", cfg={"reconfigEnabled": "true"})
    try:
        e.start()
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
    finally:
        e.cleanup()


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
            zk = client(m.hosts)
            try:
                zk.sync("/w")
                assert set(writer.acked) <= set("/w/" + c for c in zk.get_children("/w"))
                members, _ = config_members(zk)
                assert members == [m2.sid for m2 in rest]
            finally:
                zk.stop()
                zk.close()
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
        zk = client(",".join(m.hosts for m in rest))
        try:
            members, _ = config_members(zk)
            assert members == [m.sid for m in rest]
            zk.create("/after-restart", b"z")
            assert set(writer.acked) <= set("/w/" + c for c in zk.get_children("/w"))
        finally:
            zk.stop()
            zk.close()
        e.members = rest + [leader]
    finally:
        e.cleanup()
