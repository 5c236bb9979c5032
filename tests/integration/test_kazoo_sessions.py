"""Session establishment, timeouts, reconnect, expiry, close."""

import socket
import threading
import time

import pytest
from kazoo.protocol.states import KazooState, EventType

from . import jute
from .conftest import session_id_server_byte

ZERO_CONNECT_RESPONSE = (jute.w_int(0) + jute.w_int(0) + jute.w_long(0) + jute.w_buffer(b"\x00" * 16)
                         + jute.w_bool(False))


def test_connect_response_layout(server):
    c = server.jute(timeout_ms=4000)
    try:
        assert c.protocol_version == 0
        assert c.negotiated_timeout == 4000
        assert len(c.passwd) == 16
        assert c.read_only is False  # 3.8 always appends the readOnly byte
        assert len(c.connect_response) == 4 + 4 + 8 + 4 + 16 + 1
        # the server id is the top byte of session ids (standalone ZooKeeper uses 1)
        assert c.session_id >> 56 == session_id_server_byte(server)
        d = server.jute()
        assert d.session_id == c.session_id + 1  # ids are handed out consecutively
        d.close()
    finally:
        c.close()


@pytest.mark.parametrize("asked,granted", [(100, 1000), (1500, 1500), (10 ** 6, 30000)])
def test_timeout_negotiation(server, asked, granted):
    # the shared server runs with minSessionTimeout=1000, maxSessionTimeout=30000
    c = server.jute(timeout_ms=asked)
    assert c.negotiated_timeout == granted
    c.close()


def test_default_timeout_bounds_from_ticktime(server_factory):
    srv = server_factory(cfg={"tickTime": "200", "minSessionTimeout": None, "maxSessionTimeout": None})
    c = srv.jute(timeout_ms=1)
    assert c.negotiated_timeout == 400  # 2 * tickTime
    c.close()
    c = srv.jute(timeout_ms=10 ** 6)
    assert c.negotiated_timeout == 4000  # 20 * tickTime
    c.close()


def test_ping(jc):
    rep = jc.ping()
    assert (rep.xid, rep.err, rep.body) == (jute.PING_XID, 0, b"")


def test_reconnect_same_session_raw(server, base):
    a = server.jute(timeout_ms=5000)
    assert a.create(base + "/e", flags=jute.EPHEMERAL).err == 0
    a.close_socket()
    b = server.jute(timeout_ms=6000, session_id=a.session_id, passwd=a.passwd)
    try:
        assert b.session_id == a.session_id and b.passwd == a.passwd
        assert b.negotiated_timeout == 6000  # renegotiated on reconnect
        assert b.exists(base + "/e").body.ephemeralOwner == a.session_id
    finally:
        b.close()


def test_reconnect_wrong_password_rejected(server, base):
    a = server.jute(timeout_ms=5000)
    try:
        bad = jute.JuteClient(server.host, server.port, connect=False)
        bad._open()
        bad.send_frame(jute.w_int(0) + jute.w_long(0) + jute.w_int(5000) + jute.w_long(a.session_id)
                       + jute.w_buffer(b"\x01" * 16) + jute.w_bool(False))
        # an all-zero ConnectResponse (timeout 0, session 0), then the server closes
        assert bad.recv_frame() == ZERO_CONNECT_RESPONSE
        with pytest.raises((ConnectionError, OSError)):
            bad.recv_frame()
        bad.close_socket()
    finally:
        a.close_socket()


def test_reconnect_unknown_session_rejected(server):
    bad = jute.JuteClient(server.host, server.port, connect=False)
    bad._open()
    bad.send_frame(jute.w_int(0) + jute.w_long(0) + jute.w_int(5000) + jute.w_long(0x01000000000fffff)
                   + jute.w_buffer(b"\x01" * 16) + jute.w_bool(False))
    assert bad.recv_frame() == ZERO_CONNECT_RESPONSE
    with pytest.raises((ConnectionError, OSError)):
        bad.recv_frame()
    bad.close_socket()


def test_client_ahead_of_server_refused(server):
    """A client whose lastZxidSeen is newer than the server's is dropped without a reply."""
    c = jute.JuteClient(server.host, server.port, connect=False)
    c._open()
    c.send_frame(jute.w_int(0) + jute.w_long(1 << 40) + jute.w_int(5000) + jute.w_long(0)
                 + jute.w_buffer(b"\x00" * 16) + jute.w_bool(False))
    with pytest.raises((ConnectionError, OSError)):
        c.recv_frame()
    c.close_socket()


def test_close_session_deletes_ephemerals_and_fires_watches(server, jc, base):
    a = server.jute()
    a.create(base + "/e", flags=jute.EPHEMERAL)
    a.create(base + "/es-", flags=jute.EPHEMERAL_SEQUENTIAL)
    jc.exists(base + "/e", watch=True)
    jc.get_children(base, watch=True)
    rep = a.request(jute.OP["closeSession"], b"")
    assert rep.err == 0 and rep.zxid > 0
    a.close_socket()
    evs = jc.wait_events(2)
    assert sorted((e.type, e.path) for e in evs) == [
        (jute.EV_DELETED, base + "/e"), (jute.EV_CHILDREN_CHANGED, base)]
    assert jc.get_children(base).body == []
    # the closed session cannot be resumed
    c = jute.JuteClient(server.host, server.port, connect=False)
    c._open()
    c.send_frame(jute.w_int(0) + jute.w_long(0) + jute.w_int(5000) + jute.w_long(a.session_id)
                 + jute.w_buffer(a.passwd) + jute.w_bool(False))
    assert c.recv_frame() == ZERO_CONNECT_RESPONSE
    c.close_socket()


def test_session_expiry_deletes_ephemerals_and_fires_watches(server, jc, base):
    a = server.jute(timeout_ms=1000)
    assert a.negotiated_timeout == 1000
    a.create(base + "/e", flags=jute.EPHEMERAL)
    assert jc.exists(base + "/e", watch=True).err == 0
    a.close_socket()  # no pings from now on
    t0 = time.monotonic()
    evs = jc.wait_events(1, timeout=15)
    assert evs == [jute.Event(jute.EV_DELETED, jute.STATE_SYNC_CONNECTED, base + "/e")]
    assert time.monotonic() - t0 < 10
    assert jc.exists(base + "/e").err == jute.NONODE
    # expired: reconnecting with the old id is refused with the all-zero response
    c = jute.JuteClient(server.host, server.port, connect=False)
    c._open()
    c.send_frame(jute.w_int(0) + jute.w_long(0) + jute.w_int(5000) + jute.w_long(a.session_id)
                 + jute.w_buffer(a.passwd) + jute.w_bool(False))
    assert c.recv_frame() == ZERO_CONNECT_RESPONSE
    c.close_socket()


def test_session_kept_alive_by_pings(server, base):
    a = server.jute(timeout_ms=1000)
    a.create(base + "/e", flags=jute.EPHEMERAL)
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        assert a.ping().err == 0
        time.sleep(0.2)
    assert a.exists(base + "/e").err == 0
    a.close()


def test_kazoo_reconnects_with_same_session(server, zk, base):
    zk.create(base + "/e", ephemeral=True)
    sid, pw = zk.client_id
    states = []
    reconnected = threading.Event()

    def listener(state):
        states.append(state)
        if state == KazooState.CONNECTED and KazooState.SUSPENDED in states:
            reconnected.set()

    zk.add_listener(listener)
    # cut the TCP connection under kazoo's feet
    zk._connection._socket.shutdown(socket.SHUT_RDWR)
    assert reconnected.wait(20), states
    assert zk.client_id == (sid, pw)
    assert zk.exists(base + "/e").ephemeralOwner == sid
    assert states[:2] == [KazooState.SUSPENDED, KazooState.CONNECTED]


def test_kazoo_session_expiry_is_lost(server, kazoo_factory, zk, base):
    victim = kazoo_factory(server, timeout=1.0)
    victim.create(base + "/e", ephemeral=True)
    sid, pw = victim.client_id
    lost = threading.Event()
    victim.add_listener(lambda s: lost.set() if s == KazooState.LOST else None)
    deleted = threading.Event()
    zk.exists(base + "/e", watch=lambda ev: deleted.set() if ev.type == EventType.DELETED else None)
    # another connection takes over the session (kazoo's connection is dropped by
    # the server) and closes it; kazoo's reconnect then learns the session is gone
    thief = server.jute(timeout_ms=1000, session_id=sid, passwd=pw)
    assert thief.session_id == sid
    assert thief.close().err == 0
    assert deleted.wait(15)
    assert zk.exists(base + "/e") is None
    assert lost.wait(20)


@pytest.mark.parametrize("xid", [0, 2 ** 31 - 1, -3, -100, 7, 7])
def test_xid_echoed_verbatim(jc, xid):
    # the server does not check xids: any value (even a repeated or negative one) comes back
    jc.send_frame(jute.w_int(xid) + jute.w_int(jute.OP["exists"]) + jute.path_watch_body("/", False))
    r = jute.Reader(jc.recv_frame())
    assert (r.int(), r.long() > 0, r.int()) == (xid, True, 0)


def test_connect_with_other_protocol_version(server):
    c = jute.JuteClient(server.host, server.port, connect=False)
    c._open()
    c.send_frame(jute.w_int(5) + jute.w_long(0) + jute.w_int(5000) + jute.w_long(0)
                 + jute.w_buffer(b"\x00" * 16) + jute.w_bool(False))
    r = jute.Reader(c.recv_frame())
    assert r.int() == 0 and r.int() == 5000 and r.long() != 0  # answered with protocol 0
    c.close_socket()


@pytest.mark.parametrize("passwd", [b"\x00" * 3, None], ids=["short", "null"])
def test_new_session_ignores_client_password(server, passwd):
    c = jute.JuteClient(server.host, server.port, connect=False)
    c._open()
    c.send_frame(jute.w_int(0) + jute.w_long(0) + jute.w_int(5000) + jute.w_long(0)
                 + jute.w_buffer(passwd) + jute.w_bool(False))
    r = jute.Reader(c.recv_frame())
    r.int(), r.int()
    assert r.long() != 0 and len(r.buffer()) == 16
    c.close_socket()


def test_read_only_client_on_standalone_server(server, base):
    c = server.jute(read_only=True)
    try:
        assert c.read_only is False  # a standalone server is read-write
        assert c.create(base + "/ro").err == 0
    finally:
        c.close()


def test_second_connection_for_session_closes_first(server):
    a = server.jute()
    b = server.jute(session_id=a.session_id, passwd=a.passwd)
    try:
        with pytest.raises((ConnectionError, OSError)):
            a.exists("/")
        assert b.exists("/").err == 0
    finally:
        a.close_socket()
        b.close()


def test_expired_session_connection_is_closed(server):
    a = server.jute(timeout_ms=1000)
    t0 = time.monotonic()
    # stay silent; the server closes the connection when the session expires
    a.sock.settimeout(10)
    try:
        assert a.sock.recv(1) == b""
    except ConnectionResetError:
        pass
    assert time.monotonic() - t0 < 8
    a.close_socket()
