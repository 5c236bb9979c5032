"""Session moved (ZooKeeper's SESSIONMOVED, -118): a session re-attached to another server
makes the old server's connection stale. The same scripted scenario runs against a real
ZooKeeper 3.8 ensemble/standalone server and against the target (ZK_TARGET); the
observations must be identical, and they are pinned to what ZooKeeper 3.8 does:

- quorum, old server a follower: reads on the stale connection are still answered (the
  follower serves them locally); the first write on it reaches the leader's
  checkSession(id, owner), fails with SessionMovedException, and FinalRequestProcessor
  closes that connection without a reply;
- quorum, old server the leader: its PrepRequestProcessor checks reads too, so the first
  read on the stale connection closes it;
- standalone (and any server): a second connection resuming the session on the same
  server closes the first one (ServerCnxnFactory.closeSession(CLIENT_RECONNECT));
- the session's ephemerals stay, and the new connection's writes and watches work.
"""

import socket

from . import jute
from .ensemble import Ensemble
from .servers import Server, target


def attempt(fn):
    """What a raw client observes for one request: its error code, or that the server
    closed the connection (or did not answer within the client's io timeout)."""
    try:
        return ("reply", fn().err)
    except socket.timeout:
        return ("no reply",)
    except (ConnectionError, OSError):
        return ("closed",)


def connection_closed(c):
    """True once the server has closed `c` (a read returns EOF or a reset)."""
    c.sock.settimeout(5.0)
    try:
        return c.sock.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def caught_up(server):
    """Returns once `server` has applied everything committed so far (a sync through a
    throwaway session), so a client that saw the latest zxid elsewhere is not refused
    there as "ahead of the server" (ZooKeeper refuses that too)."""
    c = server.jute(io_timeout=10.0)
    assert c.sync("/").err == jute.OK
    c.close()


def quorum_scenario(kind):
    e = Ensemble(3, kind=kind)
    try:
        e.start()
        leader = e.leader()
        a, b = [m for m in e.members if m is not leader]
        obs = {}
        c1 = a.jute(io_timeout=5.0)
        obs["create"] = c1.create("/moved", b"v0").err
        obs["eph"] = c1.create("/moved/eph", b"e", flags=jute.EPHEMERAL).err
        caught_up(b)
        c2 = b.jute(session_id=c1.session_id, passwd=c1.passwd, last_zxid=c1.last_zxid, io_timeout=5.0)
        obs["reattached same id"] = c2.session_id == c1.session_id
        obs["read on old"] = attempt(lambda: c1.exists("/moved"))
        obs["write on old"] = attempt(lambda: c1.set_data("/moved", b"stale"))
        obs["old closed after write"] = c1.sock is None or connection_closed(c1)
        c1.close_socket()
        rep = c2.get_data("/moved", watch=True)
        obs["data after stale write"] = (rep.err, rep.body[0] if rep.body else None)
        obs["eph stays"] = c2.exists("/moved/eph").err
        other = leader.jute(io_timeout=5.0)
        obs["other write"] = other.set_data("/moved", b"v1").err
        obs["watch on new"] = [(ev.type, ev.path) for ev in c2.wait_events(1, timeout=10.0)]
        obs["write on new"] = c2.set_data("/moved", b"v2").err
        obs["new closes"] = c2.close().err
        obs["eph gone with session"] = other.exists("/moved/eph").err
        other.close()
        return obs
    finally:
        e.cleanup()


def leader_scenario(kind):
    e = Ensemble(3, kind=kind)
    try:
        e.start()
        leader = e.leader()
        follower = next(m for m in e.members if m is not leader)
        obs = {}
        c1 = leader.jute(io_timeout=5.0)
        obs["eph"] = c1.create("/lm", b"e", flags=jute.EPHEMERAL).err
        caught_up(follower)
        c2 = follower.jute(session_id=c1.session_id, passwd=c1.passwd, last_zxid=c1.last_zxid, io_timeout=5.0)
        obs["reattached same id"] = c2.session_id == c1.session_id
        obs["read on old leader connection"] = attempt(lambda: c1.exists("/lm"))
        c1.close_socket()
        obs["eph stays"] = c2.exists("/lm").err
        obs["write on new"] = c2.set_data("/lm", b"x").err
        c2.close()
        return obs
    finally:
        e.cleanup()


def standalone_scenario(kind):
    s = Server(kind=kind).start()
    try:
        obs = {}
        c1 = s.jute(io_timeout=5.0)
        obs["eph"] = c1.create("/s-eph", b"e", flags=jute.EPHEMERAL).err
        c2 = s.jute(session_id=c1.session_id, passwd=c1.passwd, last_zxid=c1.last_zxid, io_timeout=5.0)
        obs["reattached same id"] = c2.session_id == c1.session_id
        obs["old closed on reattach"] = connection_closed(c1)
        obs["read on old"] = attempt(lambda: c1.exists("/s-eph"))
        c1.close_socket()
        obs["eph stays"] = c2.exists("/s-eph").err
        obs["write on new"] = c2.set_data("/s-eph", b"x").err
        c2.close()
        return obs
    finally:
        s.cleanup()


QUORUM_EXPECTED = {
    "create": jute.OK,
    "eph": jute.OK,
    "reattached same id": True,
    "read on old": ("reply", jute.OK),
    "write on old": ("closed",),
    "old closed after write": True,
    "data after stale write": (jute.OK, b"v0"),
    "eph stays": jute.OK,
    "other write": jute.OK,
    "watch on new": [(3, "/moved")],  # NodeDataChanged
    "write on new": jute.OK,
    "new closes": jute.OK,
    "eph gone with session": jute.NONODE,
}

LEADER_EXPECTED = {
    "eph": jute.OK,
    "reattached same id": True,
    "read on old leader connection": ("closed",),
    "eph stays": jute.OK,
    "write on new": jute.OK,
}

STANDALONE_EXPECTED = {
    "eph": jute.OK,
    "reattached same id": True,
    "old closed on reattach": True,
    "read on old": ("closed",),
    "eph stays": jute.OK,
    "write on new": jute.OK,
}


def test_session_moved_in_an_ensemble_matches_zookeeper():
    reference = quorum_scenario("zookeeper")
    assert reference == QUORUM_EXPECTED
    if target() != "zookeeper":
        assert quorum_scenario(target()) == reference


def test_session_moved_away_from_the_leader_matches_zookeeper():
    reference = leader_scenario("zookeeper")
    assert reference == LEADER_EXPECTED
    if target() != "zookeeper":
        assert leader_scenario(target()) == reference


def test_session_reattached_on_the_same_standalone_server_closes_the_old_connection():
    reference = standalone_scenario("zookeeper")
    assert reference == STANDALONE_EXPECTED
    if target() != "zookeeper":
        assert standalone_scenario(target()) == reference
