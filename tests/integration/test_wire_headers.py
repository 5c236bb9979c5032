"""ReplyHeader fields (xid, zxid, err) exactly as ZooKeeper 3.8 fills them."""

import struct

from . import jute


def test_notification_header(server, jc, base):
    w = server.jute()
    try:
        jc.create(base + "/a")
        w.get_data(base + "/a", watch=True)
        jc.set_data(base + "/a", b"x")
        frame = w.recv_frame()
        # notifications carry xid -1 and zxid -1 (not the txn's zxid), err 0
        assert frame[:16] == struct.pack(">iqi", -1, -1, 0)
        r = jute.Reader(frame, 16)
        assert (r.int(), r.int(), r.string()) == (jute.EV_DATA_CHANGED, jute.STATE_SYNC_CONNECTED, base + "/a")
        assert r.remaining() == 0
    finally:
        w.close()


def test_special_xid_headers(jc, base):
    last = jc.create(base + "/a").zxid
    ping = jc.ping()
    assert (ping.xid, ping.zxid, ping.err, ping.body) == (-2, last, 0, b"")
    auth = jc.add_auth("digest", "u:p")
    assert (auth.xid, auth.zxid, auth.err, auth.body) == (-4, 0, 0, b"")  # auth replies carry zxid 0
    sw = jc.set_watches(last, data=[base + "/a"])
    assert (sw.xid, sw.zxid, sw.err, sw.body) == (-8, last, 0, b"")


def test_read_replies_carry_last_zxid(jc, base):
    last = jc.create(base + "/a").zxid
    for rep in (jc.exists(base + "/a"), jc.exists(base + "/nope"), jc.get_data(base + "/a"),
                jc.get_children(base), jc.get_children2(base), jc.get_acl(base + "/a"),
                jc.sync(base), jc.get_all_children_number(base), jc.get_ephemerals(base),
                jc.whoami(), jc.check_watches(base + "/a", jute.WATCHER_ANY)):
        assert rep.zxid == last, rep


def test_write_replies_carry_their_zxid(jc, base):
    a = jc.create(base + "/a")
    b = jc.set_data(base + "/a", b"1")
    assert b.zxid == a.zxid + 1 and b.body.mzxid == b.zxid
    c = jc.set_acl(base + "/a", jute.OPEN_ACL_UNSAFE)
    assert c.zxid == b.zxid + 1 and c.body.mzxid == b.zxid  # setACL gets a zxid but leaves mzxid
    d = jc.multi([jute.op_create(base + "/m"), jute.op_delete(base + "/m")])
    assert d.zxid == c.zxid + 1
    e = jc.delete(base + "/a")
    assert e.zxid == d.zxid + 1
    # addWatch / removeWatches are not txns
    f = jc.add_watch(base + "/w", jute.ADD_WATCH_PERSISTENT)
    assert f.zxid == e.zxid and f.body == jute.w_int(0)  # addWatch replies with an ErrorResponse(0) body


def test_close_session_reply_gets_new_zxid(server, base):
    c = server.jute()
    last = c.create(base + "/x").zxid
    rep = c.request(jute.OP["closeSession"], b"")
    assert (rep.err, rep.body) == (0, b"")
    assert rep.zxid == last + 1
    c.close_socket()


def test_session_creation_consumes_a_zxid(server, jc, base):
    last = jc.create(base + "/x").zxid
    other = server.jute()
    try:
        after = jc.create(base + "/y").zxid
        assert after == last + 2  # createSession was logged as a txn in between
    finally:
        other.close()
