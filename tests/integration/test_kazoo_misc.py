"""System nodes, path characters, pipelining, concurrency, recipes, limits, restart."""

import threading
import time

import pytest
from kazoo.exceptions import ReconfigDisabledError
from kazoo.recipe.barrier import Barrier
from kazoo.recipe.counter import Counter
from kazoo.recipe.election import Election
from kazoo.recipe.lock import Lock
from kazoo.recipe.queue import LockingQueue

from . import jute


def test_system_nodes(jc, server):
    data, st = jc.get_data("/zookeeper/config").body
    if getattr(server, "sid", None) is None:
        # standalone, reconfig disabled: empty config node, aversion -1, world:anyone READ
        assert data == b"" and st.aversion == -1 and st.czxid == 0
    else:
        # an ensemble member: its static server.N lines and the config version
        lines = data.decode().split("\n")
        assert lines[-1] == "version=0" and st.aversion == -1 and st.czxid == 0
        assert [l.split("=")[0] for l in lines[:-1]] == ["server.1", "server.2", "server.3"]
        assert all(l.endswith(":participant") for l in lines[:-1]), lines
    assert jc.get_acl("/zookeeper/config").body[0] == [jute.ACL(jute.PERM_READ, "world", "anyone")]
    assert sorted(jc.get_children("/zookeeper").body) == ["config", "quota"]
    assert jc.get_data("/zookeeper/quota").body[1].czxid == 0
    assert jc.create("/zookeeper").err == jute.NODEEXISTS
    assert jc.delete("/zookeeper").err == jute.BADARGUMENTS
    assert jc.delete("/zookeeper/quota").err == jute.BADARGUMENTS
    assert jc.delete("/zookeeper/config").err == jute.BADARGUMENTS
    assert jc.set_data("/zookeeper/config", b"x").err == jute.NOAUTH


def test_reconfig_disabled(zk, jc):
    with pytest.raises(ReconfigDisabledError):
        zk.reconfig(joining=None, leaving="1", new_members=None)
    rep = jc.request(jute.OP["reconfig"], jute.w_string(None) + jute.w_string("1") + jute.w_string(None)
                     + jute.w_long(-1))
    assert (rep.err, rep.body) == (-123, b"")


@pytest.mark.parametrize("ch,ok", [
    ("\u0001", False), ("\u001f", False), ("\u007f", False), ("\u009f", False),
    ("\ue000", False), ("\uf8ff", False), ("\ufff0", False), ("\uffff", False),
    ("\ud7ff", True), ("\uf900", True), ("é", True), ("日本", True), (" ", True), ("@:-_~", True),
], ids=lambda v: repr(v))
def test_path_characters(jc, base, ch, ok):
    rep = jc.create(base + "/x" + ch + "y")
    assert rep.err == (jute.OK if ok else jute.BADARGUMENTS)
    if ok:
        assert base + "/x" + ch + "y" == rep.body
        assert jc.get_children(base).body == ["x" + ch + "y"]


def test_long_path_and_name(jc, base):
    name = "n" * 5000
    assert jc.create(base + "/" + name).err == 0
    assert jc.get_children(base).body == [name]


def test_pipelined_requests_answered_in_order(server, base):
    """Requests sent back to back without waiting are answered in order, and a read
    after a write in the same pipeline sees the write."""
    c = server.jute()
    try:
        frames = []
        expected = []
        xid = 100
        for i in range(100):
            xid += 1
            frames.append(jute.w_int(xid) + jute.w_int(jute.OP["create"]) + jute.create_body(base + "/n%03d" % i, b"%d" % i))
            expected.append((xid, 0))
            xid += 1
            frames.append(jute.w_int(xid) + jute.w_int(jute.OP["getData"]) + jute.path_watch_body(base + "/n%03d" % i, False))
            expected.append((xid, 0))
            xid += 1
            frames.append(jute.w_int(xid) + jute.w_int(jute.OP["create"]) + jute.create_body(base + "/n%03d" % i))
            expected.append((xid, jute.NODEEXISTS))
        c.sock.sendall(b"".join(jute.w_int(len(f)) + f for f in frames))
        got = []
        last_zxid = 0
        for i in range(len(expected)):
            r = jute.Reader(c.recv_frame())
            rxid, zxid, err = r.int(), r.long(), r.int()
            got.append((rxid, err))
            assert zxid >= last_zxid
            last_zxid = zxid
            if i % 3 == 1:
                assert r.buffer() == b"%d" % (i // 3)
        assert got == expected
    finally:
        c.close()


def test_concurrent_sequential_creates_are_unique(server, base):
    names = []
    lock = threading.Lock()
    errors = []

    def worker():
        try:
            c = server.jute()
            mine = [c.create(base + "/s-", flags=jute.PERSISTENT_SEQUENTIAL).body for _ in range(40)]
            c.close()
            with lock:
                names.extend(mine)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(names) == [base + "/s-%010d" % i for i in range(200)]


def test_all_watchers_notified(server, jc, base):
    watchers = [server.jute() for _ in range(5)]
    try:
        jc.create(base + "/w")
        for w in watchers:
            w.get_data(base + "/w", watch=True)
        jc.set_data(base + "/w", b"x")
        for w in watchers:
            assert w.wait_events(1) == [jute.Event(jute.EV_DATA_CHANGED, 3, base + "/w")]
    finally:
        for w in watchers:
            w.close()


def test_kazoo_lock_and_election(server, kazoo_factory, base):
    a, b = kazoo_factory(server), kazoo_factory(server)
    la, lb = Lock(a, base + "/lock", "a"), Lock(b, base + "/lock", "b")
    assert la.acquire(timeout=10)
    assert not lb.acquire(blocking=False)
    assert lb.contenders() == ["a"]
    got = threading.Event()

    def take():
        if lb.acquire(timeout=20):
            got.set()

    t = threading.Thread(target=take)
    t.start()
    time.sleep(0.2)
    assert not got.is_set()
    la.release()
    assert got.wait(20)
    t.join(10)
    lb.release()

    leader = []
    e = Election(a, base + "/election", "node-a")
    th = threading.Thread(target=e.run, args=(lambda: leader.append("a"),))
    th.start()
    th.join(20)
    assert leader == ["a"]
    assert Election(b, base + "/election").contenders() == []


def test_kazoo_counter_barrier_queue(server, kazoo_factory, base):
    a, b = kazoo_factory(server), kazoo_factory(server)
    ca, cb = Counter(a, base + "/counter"), Counter(b, base + "/counter")
    for _ in range(5):
        ca += 1
        cb += 2
    assert ca.value == 15 and cb.value == 15
    bar = Barrier(a, base + "/barrier")
    bar.create()
    assert not b.retry(Barrier(b, base + "/barrier").wait, 0.2)
    bar.remove()
    assert Barrier(b, base + "/barrier").wait(5)
    qa, qb = LockingQueue(a, base + "/queue"), LockingQueue(b, base + "/queue")
    qa.put(b"one")
    qa.put(b"two", priority=10)
    qa.put(b"zero", priority=1)
    assert qb.get(5) == b"zero"
    assert qb.consume()
    assert qb.get(5) == b"two"
    assert qb.consume()
    assert qb.get(5) == b"one"


def test_kazoo_chroot(server, zk, base):
    from kazoo.client import KazooClient
    c = KazooClient(hosts=server.hosts + base, timeout=10)
    c.start(15)
    try:
        assert c.create("/inside", b"x") == "/inside"
        assert zk.get(base + "/inside")[0] == b"x"
        assert c.create("/s-", sequence=True) == "/s-0000000001"
        assert sorted(c.get_children("/")) == ["inside", "s-0000000001"]
    finally:
        c.stop()
        c.close()


def test_max_client_cnxns_per_ip(server_factory):
    srv = server_factory(cfg={"maxClientCnxns": "2"})
    a = srv.jute()
    b = srv.jute()
    try:
        with pytest.raises((ConnectionError, OSError)):
            srv.jute(io_timeout=5.0)
        # 4lw connections count too, but a slot frees up once a client leaves
        a.close()
        deadline = time.monotonic() + 10
        while True:
            try:
                c = srv.jute(io_timeout=5.0)
                break
            except (ConnectionError, OSError):
                assert time.monotonic() < deadline
                time.sleep(0.1)
        c.close()
    finally:
        b.close()


def test_restart_keeps_data_and_sessions(server_factory):
    srv = server_factory()
    c = srv.jute(timeout_ms=30000)
    c.create("/persist", b"kept")
    c.create("/persist/child")
    c.create("/persist/e", flags=jute.EPHEMERAL)
    st_before = c.exists("/persist").body
    last = c.set_data("/persist", b"kept2").zxid
    c.close_socket()
    srv.restart()
    d = srv.jute(timeout_ms=30000, session_id=c.session_id, passwd=c.passwd, last_zxid=last)
    try:
        assert d.session_id == c.session_id  # sessions survive a restart (until they time out)
        data, st = d.get_data("/persist").body
        assert data == b"kept2" and st.czxid == st_before.czxid and st.version == 1
        assert sorted(d.get_children("/persist").body) == ["child", "e"]
        assert d.exists("/persist/e").body.ephemeralOwner == c.session_id
        new = d.create("/after")
        assert new.zxid > last
    finally:
        d.close()
    e = srv.jute()
    assert e.exists("/persist/e").err == jute.NONODE  # closed session took its ephemeral
    e.close()
