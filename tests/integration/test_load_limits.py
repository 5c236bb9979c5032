"""Bounded stress: fan-out, many watches, big multi, deep pipelines, slow readers, many sessions."""

import socket
import threading
import time

from . import jute


def test_many_children(jc, base):
    ops = [jute.op_create(base + "/c%05d" % i, b"") for i in range(5000)]
    for i in range(0, len(ops), 1000):
        rep = jc.multi(ops[i:i + 1000])  # a 1000-op multi
        assert rep.err == 0 and len(rep.body) == 1000
    kids = jc.get_children(base).body
    assert sorted(kids) == ["c%05d" % i for i in range(5000)]
    st = jc.exists(base).body
    assert st.numChildren == 5000 and st.cversion == 5000
    assert jc.get_all_children_number(base).body == 5000


def test_many_watches_fire(server, jc, base):
    w = server.jute()
    try:
        for i in range(1000):
            jc.create(base + "/w%04d" % i)
        for i in range(1000):
            w.get_data(base + "/w%04d" % i, watch=True)
        jc.multi([jute.op_set(base + "/w%04d" % i, b"x") for i in range(1000)])
        evs = w.wait_events(1000, timeout=30)
        assert [e.path for e in evs] == [base + "/w%04d" % i for i in range(1000)]
        assert all(e.type == jute.EV_DATA_CHANGED for e in evs)
    finally:
        w.close()


def test_deep_pipeline(server, base):
    c = server.jute()
    try:
        c.create(base + "/p", b"payload")
        n = 5000
        frame = lambda x: jute.w_int(x) + jute.w_int(jute.OP["getData"]) + jute.path_watch_body(base + "/p", False)
        blob = b"".join(jute.w_int(len(f)) + f for f in (frame(i + 1) for i in range(n)))
        sender = threading.Thread(target=c.sock.sendall, args=(blob,))
        sender.start()
        for i in range(n):
            r = jute.Reader(c.recv_frame())
            assert r.int() == i + 1
            r.long()
            assert r.int() == 0
        sender.join(30)
    finally:
        c.close()


def test_slow_reader_does_not_block_others(server, base):
    slow = server.jute()
    fast = server.jute()
    try:
        slow.create(base + "/big", b"x" * 100000)
        req = jute.w_int(1) + jute.w_int(jute.OP["getData"]) + jute.path_watch_body(base + "/big", False)
        frame = jute.w_int(len(req)) + req
        # ~20 MB of responses owed to a client that does not read; the sender may block
        # once the server stops reading from it, so it runs in a daemon thread
        def flood():
            try:
                slow.sock.sendall(frame * 200)
            except OSError:
                pass
        threading.Thread(target=flood, daemon=True).start()
        time.sleep(0.5)  # let the flood get going
        # other clients are served meanwhile
        t0 = time.monotonic()
        for i in range(50):
            assert fast.create(base + "/f%d" % i).err == 0
        assert time.monotonic() - t0 < 10
        assert server.four("ruok") == "imok"
    finally:
        slow.close_socket()
        fast.close()


def test_many_sessions(server, jc, base):
    clients = []
    try:
        for i in range(150):
            c = server.jute(timeout_ms=30000)
            assert c.create(base + "/e%03d" % i, flags=jute.EPHEMERAL).err == 0
            clients.append(c)
        assert len(set(c.session_id for c in clients)) == 150
        assert jc.exists(base).body.numChildren == 150
        for c in clients:
            assert c.close().err == 0
        clients = []
        assert jc.get_children(base).body == []
    finally:
        for c in clients:
            c.close_socket()
