"""Malformed input on raw sockets: the server must drop the offender and keep serving.

Every expectation below was observed on Apache ZooKeeper 3.8.0 (NIOServerCnxn).
"""

import socket
import struct
import time

import pytest

from . import jute
from .conftest import make_kazoo

MAXBUFFER = 1048575  # jute.maxbuffer default (0xfffff)


def exchange(server, payload, wait=3.0):
    """Send payload on a new connection; return (bytes received, 'closed'|'open')."""
    s = socket.create_connection((server.host, server.port), timeout=wait)
    try:
        s.sendall(payload)
        data = b""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return data, "open"
            except ConnectionResetError:
                return data, "closed"
            if not chunk:
                return data, "closed"
            data += chunk
        return data, "open"
    finally:
        s.close()


def assert_server_alive(server):
    zk = make_kazoo(server)
    try:
        zk.ensure_path("/alive-check")
        assert zk.exists("/alive-check") is not None
    finally:
        zk.stop()
        zk.close()


def connect_request(timeout_ms=5000, session_id=0, passwd=b"\x00" * 16):
    body = (jute.w_int(0) + jute.w_long(0) + jute.w_int(timeout_ms) + jute.w_long(session_id)
            + jute.w_buffer(passwd) + jute.w_bool(False))
    return jute.w_int(len(body)) + body


def test_truncated_frame_then_close(server):
    data, state = exchange(server, struct.pack(">i", 100) + b"x" * 10, wait=1.0)
    assert (data, state) == (b"", "open")  # the server waits for the rest of the frame
    assert_server_alive(server)


def test_truncated_frame_after_session_then_close(server):
    c = server.jute()
    c.sock.sendall(struct.pack(">i", 50) + jute.w_int(1) + jute.w_int(4))
    c.close_socket()
    assert_server_alive(server)


@pytest.mark.parametrize("length", [-1, -5, 0, MAXBUFFER + 1, 0x7FFFFFFF])
def test_bad_length_before_handshake_closes(server, length):
    data, state = exchange(server, struct.pack(">i", length) + b"x" * 16)
    assert (data, state) == (b"", "closed")
    assert_server_alive(server)


def test_length_at_maxbuffer_is_accepted_on_the_wire(server):
    # a frame announcing exactly jute.maxbuffer bytes is not rejected up front
    data, state = exchange(server, struct.pack(">i", MAXBUFFER) + b"x" * 100, wait=1.0)
    assert (data, state) == (b"", "open")
    assert_server_alive(server)


@pytest.mark.parametrize("length", [-1, 0, MAXBUFFER + 1])
def test_bad_length_after_session_closes_connection(server, length):
    c = server.jute()
    c.sock.sendall(struct.pack(">i", length))
    with pytest.raises((ConnectionError, OSError)):
        c.recv_frame()
    c.close_socket()
    # the session itself survives and can be resumed
    d = server.jute(session_id=c.session_id, passwd=c.passwd)
    assert d.session_id == c.session_id
    d.close()
    assert_server_alive(server)


def test_request_larger_than_maxbuffer_closes_connection(server, base):
    c = server.jute()
    # a create whose frame exceeds 1 MiB - 1: dropped without a reply
    with pytest.raises((ConnectionError, OSError)):
        c.create(base + "/big", b"x" * MAXBUFFER)
    c.close_socket()
    # just below the limit is fine
    d = server.jute()
    assert d.create(base + "/ok", b"x" * (MAXBUFFER - 1000)).err == 0
    d.close()
    assert_server_alive(server)


@pytest.mark.parametrize("payload", [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",          # first 4 bytes read as a huge length
    b"\x00\x00\x00\x05hello",                         # too short for a ConnectRequest
    # ConnectRequest whose passwd buffer claims 2 GiB
    b"\x00\x00\x00\x1c" + b"\x00" * 12 + b"\x00\x00\x13\x88" + b"\x00" * 8 + b"\x7f\xff\xff\xff",
], ids=["http", "short", "huge-passwd-length"])
def test_garbage_before_handshake(server, payload):
    data, state = exchange(server, payload)
    assert (data, state) == (b"", "closed")
    assert_server_alive(server)


def test_all_ones_connect_request_is_rejected_session(server):
    # 0xff everywhere parses: protocol -1, zxid -1, timeout -1, session -1, passwd null.
    # Session -1 is unknown, so the server sends the all-zero ConnectResponse and closes.
    data, state = exchange(server, b"\x00\x00\x00\x30" + b"\xff" * 48)
    zero = (jute.w_int(0) + jute.w_int(0) + jute.w_long(0) + jute.w_buffer(b"\x00" * 16) + jute.w_bool(False))
    assert (data, state) == (jute.w_int(len(zero)) + zero, "closed")
    assert_server_alive(server)


def test_request_before_handshake(server):
    # a getData frame as the very first frame is parsed as a ConnectRequest, fails, and the
    # connection is closed without any reply
    req = jute.w_int(1) + jute.w_int(jute.OP["getData"]) + jute.path_watch_body("/", False)
    data, state = exchange(server, jute.w_int(len(req)) + req)
    assert (data, state) == (b"", "closed")
    assert_server_alive(server)


@pytest.mark.parametrize("opcode", [999, -1, 0, 10, 1000])
def test_unknown_opcode_after_session(server, opcode):
    c = server.jute()
    rep = c.request(opcode, b"")
    # ZooKeeper answers ReplyHeader{xid, zxid=-1, err=-6 Unimplemented} with no body...
    assert (rep.xid, rep.zxid, rep.err, rep.body) == (1, -1, jute.UNIMPLEMENTED, b"")
    # ...and then closes the connection (not the session)
    with pytest.raises((ConnectionError, OSError)):
        c.exists("/")
    c.close_socket()
    d = server.jute(session_id=c.session_id, passwd=c.passwd)
    assert d.session_id == c.session_id
    assert d.exists("/").err == 0
    d.close()
    assert_server_alive(server)


def test_malformed_body_is_marshalling_error(server):
    c = server.jute()
    try:
        rep = c.request(jute.OP["create"], b"")
        assert (rep.err, rep.body) == (jute.MARSHALLINGERROR, b"")
        rep = c.request(jute.OP["getData"], b"\x00\x00\x00\x10/a")  # string length past the end
        assert (rep.err, rep.body) == (jute.MARSHALLINGERROR, b"")
        # the connection stays usable
        assert c.exists("/").err == 0
    finally:
        c.close()
    assert_server_alive(server)


def test_connect_without_readonly_byte(server):
    # pre-3.4 clients omit the readOnly byte; the server still answers
    body = (jute.w_int(0) + jute.w_long(0) + jute.w_int(5000) + jute.w_long(0) + jute.w_buffer(b"\x00" * 16))
    c = jute.JuteClient(server.host, server.port, connect=False)
    c._open()
    c.send_frame(body)
    resp = jute.Reader(c.recv_frame())
    assert resp.int() == 0 and resp.int() == 5000 and resp.long() != 0
    c.close_socket()
    assert_server_alive(server)


def test_many_bad_connections_then_good(server):
    for i in range(20):
        exchange(server, struct.pack(">i", -1), wait=1.0)
        exchange(server, b"\x00\x00\x00\x05hello", wait=1.0)
    assert server.four("ruok") == "imok"
    assert_server_alive(server)
