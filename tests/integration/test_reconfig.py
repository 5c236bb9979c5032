"""`reconfig` (opcode 16): the checks ZooKeeper 3.8's PrepRequestProcessor makes before a
change is proposed, compared against real ZooKeeper 3.8 servers.

Tusk does not execute membership changes yet (a request passing every check is answered
UNIMPLEMENTED); these tests cover the error paths, which match ZooKeeper.
"""

import os
import subprocess

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import (BadArgumentsError, BadVersionError, NoAuthError, ReconfigDisabledError,
                              UnimplementedError)
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
