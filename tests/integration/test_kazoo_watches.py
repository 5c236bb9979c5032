"""One-shot, persistent and persistent-recursive watches; removeWatches/checkWatches."""

import threading

import pytest
from kazoo.protocol.states import EventType

from . import jute

E = jute


def test_kazoo_data_watch_fires_once(zk, base):
    zk.create(base + "/a", b"1")
    got = []
    ev = threading.Event()

    def w(event):
        got.append(event)
        ev.set()

    zk.get(base + "/a", watch=w)
    zk.set(base + "/a", b"2")
    assert ev.wait(10)
    zk.set(base + "/a", b"3")
    zk.sync(base)
    zk.get(base)  # round trip after the second change
    assert len(got) == 1
    assert got[0].type == EventType.CHANGED and got[0].path == base + "/a"


def test_kazoo_exists_and_child_watches(zk, base):
    events = []
    done = threading.Event()

    def w(event):
        events.append((event.type, event.path))
        if len(events) == 2:
            done.set()

    assert zk.exists(base + "/n", watch=w) is None
    zk.get_children(base, watch=w)
    zk.create(base + "/n")
    assert done.wait(10)
    assert events == [(EventType.CREATED, base + "/n"), (EventType.CHILD, base)]


def test_raw_event_before_reply_on_same_session(jc, base):
    """A watch event caused by this session's own write is delivered before the write's reply."""
    jc.create(base + "/a")
    assert jc.get_data(base + "/a", watch=True).err == 0
    assert jc.events == []
    rep = jc.set_data(base + "/a", b"x")
    assert rep.err == 0
    # the notification was read (and queued) while waiting for the reply
    assert jc.events == [jute.Event(E.EV_DATA_CHANGED, E.STATE_SYNC_CONNECTED, base + "/a")]


def test_event_order_create_then_parent(jc, base):
    assert jc.exists(base + "/n", watch=True).err == jute.NONODE
    jc.get_children(base, watch=True)
    jc.create(base + "/n")
    assert [(e.type, e.path) for e in jc.take_events()] == [
        (E.EV_CREATED, base + "/n"), (E.EV_CHILDREN_CHANGED, base)]


def test_event_order_delete_node_then_parent(jc, base):
    jc.create(base + "/n")
    jc.get_data(base + "/n", watch=True)
    jc.get_children(base + "/n", watch=True)
    jc.exists(base + "/n", watch=True)
    jc.get_children(base, watch=True)
    jc.delete(base + "/n")
    # one NodeDeleted for the node (data+child watches of one session are de-duplicated),
    # then NodeChildrenChanged for the parent
    assert [(e.type, e.path) for e in jc.take_events()] == [
        (E.EV_DELETED, base + "/n"), (E.EV_CHILDREN_CHANGED, base)]


def test_watch_fires_for_other_session(server, jc, jute_factory, base):
    other = jute_factory(server)
    jc.create(base + "/a")
    other.get_data(base + "/a", watch=True)
    other.exists(base + "/b", watch=True)
    jc.set_data(base + "/a", b"1")
    jc.create(base + "/b")
    jc.delete(base + "/a")
    evs = other.wait_events(2)
    assert [(e.type, e.state, e.path) for e in evs] == [
        (E.EV_DATA_CHANGED, 3, base + "/a"), (E.EV_CREATED, 3, base + "/b")]
    # one-shot: the delete of /a did not fire again
    other.sync(base)
    assert len(other.events) == 2


def test_child_watch_not_fired_by_data_change(jc, jute_factory, server, base):
    other = jute_factory(server)
    jc.create(base + "/c")
    other.get_children(base, watch=True)
    jc.set_data(base, b"x")
    jc.set_data(base + "/c", b"x")
    jc.create(base + "/c/grandchild")
    other.sync(base)
    assert other.events == []
    jc.delete(base + "/c/grandchild")
    jc.delete(base + "/c")
    assert [(e.type, e.path) for e in other.wait_events(1)] == [(E.EV_CHILDREN_CHANGED, base)]


def test_exists_watch_on_existing_node_gets_data_and_delete(jc, jute_factory, server, base):
    other = jute_factory(server)
    jc.create(base + "/a")
    other.exists(base + "/a", watch=True)
    jc.delete(base + "/a")
    assert [(e.type, e.path) for e in other.wait_events(1)] == [(E.EV_DELETED, base + "/a")]


def test_persistent_watch(jc, jute_factory, server, base):
    other = jute_factory(server)
    assert other.add_watch(base + "/p", E.ADD_WATCH_PERSISTENT).err == 0
    jc.create(base + "/p")
    jc.set_data(base + "/p", b"1")
    jc.set_data(base + "/p", b"2")
    jc.create(base + "/p/c")
    jc.create(base + "/p/c/gc")     # grandchild: no event for a non-recursive watch
    jc.set_data(base + "/p/c", b"")  # child data: no event
    jc.delete(base + "/p/c/gc")
    jc.delete(base + "/p/c")
    jc.delete(base + "/p")
    jc.create(base + "/p")           # still registered after NodeDeleted
    evs = other.wait_events(7)
    assert [(e.type, e.path) for e in evs] == [
        (E.EV_CREATED, base + "/p"),
        (E.EV_DATA_CHANGED, base + "/p"),
        (E.EV_DATA_CHANGED, base + "/p"),
        (E.EV_CHILDREN_CHANGED, base + "/p"),
        (E.EV_CHILDREN_CHANGED, base + "/p"),
        (E.EV_DELETED, base + "/p"),
        (E.EV_CREATED, base + "/p"),
    ]


def test_persistent_recursive_watch(jc, jute_factory, server, base):
    other = jute_factory(server)
    assert other.add_watch(base + "/r", E.ADD_WATCH_PERSISTENT_RECURSIVE).err == 0
    jc.create(base + "/r")
    jc.create(base + "/r/a")
    jc.create(base + "/r/a/b", b"x")
    jc.set_data(base + "/r/a/b", b"y")
    jc.create(base + "/rx")          # sibling with a common string prefix: not under /r
    jc.delete(base + "/r/a/b")
    evs = other.wait_events(5)
    # events carry the changed node's path; no NodeChildrenChanged for recursive watches
    assert [(e.type, e.path) for e in evs] == [
        (E.EV_CREATED, base + "/r"),
        (E.EV_CREATED, base + "/r/a"),
        (E.EV_CREATED, base + "/r/a/b"),
        (E.EV_DATA_CHANGED, base + "/r/a/b"),
        (E.EV_DELETED, base + "/r/a/b"),
    ]
    other.sync(base)
    assert len(other.events) == 5


def test_persistent_and_oneshot_on_same_path(jc, jute_factory, server, base):
    """One change produces one event per session even with two watches on the path.

    (ZooKeeper 3.8.0 quirk not asserted here: after a one-shot watch is added on top
    of a persistent one for the same session and path, the persistent watch stops
    firing once the one-shot has fired, although checkWatches still reports it.)"""
    other = jute_factory(server)
    jc.create(base + "/a")
    other.add_watch(base + "/a", E.ADD_WATCH_PERSISTENT)
    other.get_data(base + "/a", watch=True)
    jc.set_data(base + "/a", b"1")
    evs = other.wait_events(1)
    other.sync(base)
    assert [(e.type, e.path) for e in other.events] == [(E.EV_DATA_CHANGED, base + "/a")]


def test_oneshot_then_persistent_keeps_firing(jc, jute_factory, server, base):
    other = jute_factory(server)
    jc.create(base + "/a")
    other.get_data(base + "/a", watch=True)
    other.add_watch(base + "/a", E.ADD_WATCH_PERSISTENT)
    for v in (b"1", b"2", b"3"):
        jc.set_data(base + "/a", v)
    other.wait_events(3)
    other.sync(base)
    assert [(e.type, e.path) for e in other.events] == [(E.EV_DATA_CHANGED, base + "/a")] * 3


def test_recursive_and_child_watch_together(jc, jute_factory, server, base):
    other = jute_factory(server)
    jc.create(base + "/z")
    other.add_watch(base + "/z", E.ADD_WATCH_PERSISTENT_RECURSIVE)
    other.get_children(base + "/z", watch=True)
    jc.create(base + "/z/1")
    jc.create(base + "/z/2")
    other.wait_events(3)
    other.sync(base)
    assert [(e.type, e.path) for e in other.events] == [
        (E.EV_CREATED, base + "/z/1"), (E.EV_CHILDREN_CHANGED, base + "/z"), (E.EV_CREATED, base + "/z/2")]


def test_check_and_remove_watches(jc, base):
    jc.create(base + "/a")
    assert jc.check_watches(base + "/a", E.WATCHER_DATA).err == jute.NOWATCHER
    jc.get_data(base + "/a", watch=True)
    assert jc.check_watches(base + "/a", E.WATCHER_DATA).err == 0
    assert jc.check_watches(base + "/a", E.WATCHER_CHILDREN).err == jute.NOWATCHER
    assert jc.check_watches(base + "/a", E.WATCHER_ANY).err == 0
    assert jc.remove_watches(base + "/a", E.WATCHER_CHILDREN).err == jute.NOWATCHER
    assert jc.remove_watches(base + "/a", E.WATCHER_DATA).err == 0
    assert jc.check_watches(base + "/a", E.WATCHER_DATA).err == jute.NOWATCHER
    jc.set_data(base + "/a", b"x")
    jc.sync(base)
    # the server sends no event for the removed watch (clients synthesise DataWatchRemoved)
    assert jc.events == []
    jc.get_children(base + "/a", watch=True)
    jc.exists(base + "/a", watch=True)
    assert jc.remove_watches(base + "/a", E.WATCHER_ANY).err == 0
    assert jc.check_watches(base + "/a", E.WATCHER_ANY).err == jute.NOWATCHER
    assert jc.remove_watches(base + "/nope", E.WATCHER_ANY).err == jute.NOWATCHER


def test_remove_persistent_watch(jc, jute_factory, server, base):
    other = jute_factory(server)
    other.add_watch(base + "/p", E.ADD_WATCH_PERSISTENT)
    other.add_watch(base + "/r", E.ADD_WATCH_PERSISTENT_RECURSIVE)
    assert other.check_watches(base + "/p", E.WATCHER_ANY).err == 0
    assert other.check_watches(base + "/r", E.WATCHER_ANY).err == 0
    assert other.remove_watches(base + "/p", E.WATCHER_ANY).err == 0
    assert other.remove_watches(base + "/r", E.WATCHER_ANY).err == 0
    jc.create(base + "/p")
    jc.create(base + "/r")
    other.sync(base)
    assert other.events == []


def test_exists_watch_on_missing_registers_data_watch(jc, base):
    assert jc.exists(base + "/nope", watch=True).err == jute.NONODE
    assert jc.check_watches(base + "/nope", E.WATCHER_DATA).err == 0


def test_get_data_on_missing_node_sets_no_watch(jc, base):
    assert jc.get_data(base + "/nope", watch=True).err == jute.NONODE
    assert jc.check_watches(base + "/nope", E.WATCHER_DATA).err == jute.NOWATCHER
    jc.create(base + "/nope")
    jc.sync(base)
    assert jc.events == []


def test_set_watches_after_reconnect(server, jc, jute_factory, base):
    """setWatches (101) with a relative zxid older than a change fires the event at once."""
    jc.create(base + "/a", b"1")
    jc.create(base + "/gone")
    last = jc.exists(base).zxid
    jc.set_data(base + "/a", b"2")
    jc.delete(base + "/gone")
    jc.create(base + "/new")
    c = jute_factory(server)
    rep = c.set_watches(last, data=[base + "/a", base + "/gone"], exist=[base + "/new", base + "/absent"],
                        child=[base])
    assert rep.err == 0 and rep.xid == jute.SET_WATCHES_XID
    got = sorted((e.type, e.path) for e in c.events)
    assert got == sorted([(E.EV_DATA_CHANGED, base + "/a"), (E.EV_DELETED, base + "/gone"),
                          (E.EV_CREATED, base + "/new"), (E.EV_CHILDREN_CHANGED, base)])
    # the watch on /absent is now registered
    jc.create(base + "/absent")
    assert [(e.type, e.path) for e in c.wait_events(5)[4:]] == [(E.EV_CREATED, base + "/absent")]


def test_set_watches2_persistent(server, jc, jute_factory, base):
    c = jute_factory(server)
    rep = c.set_watches2(jc.exists(base).zxid, persistent=[base + "/p"], recursive=[base + "/r"])
    assert rep.err == 0 and c.events == []
    jc.create(base + "/p")
    jc.create(base + "/r")
    jc.create(base + "/r/x")
    evs = c.wait_events(3)
    assert [(e.type, e.path) for e in evs] == [
        (E.EV_CREATED, base + "/p"), (E.EV_CREATED, base + "/r"), (E.EV_CREATED, base + "/r/x")]


def test_check_watches_sees_other_sessions_watches(jc, jute_factory, server, base):
    """ZooKeeper 3.8.0 quirk: checkWatches answers Ok when ANY session holds a watch
    of that type on the path, while removeWatches only removes the caller's own
    watches (NoWatcher otherwise)."""
    other = jute_factory(server)
    jc.create(base + "/a")
    assert jc.check_watches(base + "/a", E.WATCHER_DATA).err == jute.NOWATCHER
    other.get_data(base + "/a", watch=True)
    assert jc.check_watches(base + "/a", E.WATCHER_DATA).err == 0
    assert jc.check_watches(base + "/a", E.WATCHER_ANY).err == 0
    assert jc.check_watches(base + "/a", E.WATCHER_CHILDREN).err == jute.NOWATCHER
    assert jc.remove_watches(base + "/a", E.WATCHER_DATA).err == jute.NOWATCHER
    assert other.check_watches(base + "/a", E.WATCHER_DATA).err == 0
    jc.set_data(base + "/a", b"x")
    assert [(e.type, e.path) for e in other.wait_events(1)] == [(E.EV_DATA_CHANGED, base + "/a")]


def test_set_acl_fires_no_watch(jc, jute_factory, server, base):
    other = jute_factory(server)
    jc.create(base + "/a")
    other.get_data(base + "/a", watch=True)
    other.get_children(base + "/a", watch=True)
    assert jc.set_acl(base + "/a", jute.OPEN_ACL_UNSAFE).err == 0
    other.sync("/")
    assert other.events == []


def test_reaped_container_and_ttl_fire_watches(jc, jute_factory, server, base):
    other = jute_factory(server)
    jc.create_container(base + "/c")
    jc.create(base + "/c/x")
    jc.create_ttl(base + "/t", ttl=300)
    other.exists(base + "/c", watch=True)
    other.exists(base + "/t", watch=True)
    jc.delete(base + "/c/x")
    evs = other.wait_events(2, timeout=15)
    assert sorted((e.type, e.path) for e in evs) == [(E.EV_DELETED, base + "/c"), (E.EV_DELETED, base + "/t")]


def test_multi_events_in_op_order(jc, jute_factory, server, base):
    other = jute_factory(server)
    other.add_watch(base, E.ADD_WATCH_PERSISTENT_RECURSIVE)
    other.get_children(base, watch=True)
    rep = jc.multi([jute.op_create(base + "/a"), jute.op_create(base + "/b"), jute.op_set(base + "/a", b"1"),
                    jute.op_delete(base + "/b"), jute.op_create(base + "/s-", flags=jute.PERSISTENT_SEQUENTIAL)])
    assert rep.err == 0 and all(t != -1 for t, _, _ in rep.body)
    evs = other.wait_events(6)
    other.sync("/")
    # events follow the op order; the one-shot child watch fires once (first create);
    # the sequential node's event carries its real name
    assert [(e.type, e.path) for e in other.events] == [
        (E.EV_CREATED, base + "/a"),
        (E.EV_CHILDREN_CHANGED, base),
        (E.EV_CREATED, base + "/b"),
        (E.EV_DATA_CHANGED, base + "/a"),
        (E.EV_DELETED, base + "/b"),
        (E.EV_CREATED, base + "/s-0000000002"),
    ]


def test_failed_multi_fires_nothing(jc, jute_factory, server, base):
    other = jute_factory(server)
    other.add_watch(base, E.ADD_WATCH_PERSISTENT_RECURSIVE)
    other.get_children(base, watch=True)
    rep = jc.multi([jute.op_create(base + "/a"), jute.op_delete(base + "/nope")])
    assert rep.body[1][1] == jute.NONODE
    other.sync("/")
    assert other.events == []


def test_events_need_read_permission(jc, jute_factory, server, base):
    """ZooKeeper 3.8 delivers a watch event only if the watching session may READ the
    node the event is about (the parent for NodeChildrenChanged). A filtered one-shot
    watch is consumed anyway; a persistent one stays."""
    B = jute_factory(server)
    assert jc.add_auth("digest", "alice:pw").err == 0
    B.add_watch(base, E.ADD_WATCH_PERSISTENT_RECURSIVE)
    B.exists(base + "/oneshot", watch=True)
    B.add_watch(base + "/pers", E.ADD_WATCH_PERSISTENT)
    B.get_children(base, watch=True)

    jc.create(base + "/secret", b"s", jute.CREATOR_ALL_ACL)      # only alice may read it
    B.sync("/")
    assert [(e.type, e.path) for e in B.take_events()] == [(E.EV_CHILDREN_CHANGED, base)]  # base is open
    jc.create(base + "/oneshot", b"s", jute.CREATOR_ALL_ACL)
    jc.create(base + "/pers", b"s", jute.CREATOR_ALL_ACL)
    jc.set_data(base + "/pers", b"x")
    B.sync("/")
    assert B.take_events() == []
    assert B.check_watches(base + "/oneshot", E.WATCHER_DATA).err == jute.NOWATCHER  # consumed
    jc.create(base + "/open", b"o")
    jc.create(base + "/secret/child", b"o")  # an open node under a secret parent is visible
    jc.delete(base + "/secret/child")
    jc.delete(base + "/secret")              # the deleted node's own ACL decides
    B.sync("/")
    assert [(e.type, e.path) for e in B.take_events()] == [
        (E.EV_CREATED, base + "/open"), (E.EV_CREATED, base + "/secret/child"), (E.EV_DELETED, base + "/secret/child")]
    # the persistent watch on /pers survived the filtered events
    jc.set_acl(base + "/pers", jute.OPEN_ACL_UNSAFE)
    jc.set_data(base + "/pers", b"y")
    B.sync("/")
    # exact + recursive watch of one session: a single event
    assert [(e.type, e.path) for e in B.take_events()] == [(E.EV_DATA_CHANGED, base + "/pers")]


@pytest.mark.parametrize("perms", [
    pytest.param(jute.PERM_WRITE, id="write"),
    pytest.param(jute.PERM_ADMIN, id="admin"),
    pytest.param(jute.PERM_ALL & ~jute.PERM_READ, id="all-but-read"),
    pytest.param(jute.PERM_READ, id="read"),
])
def test_one_shot_watch_filtered_without_read(jc, jute_factory, server, base, perms):
    B = jute_factory(server)
    jc.create(base + "/n")
    assert B.exists(base + "/n", watch=True).err == 0
    assert jc.set_acl(base + "/n", [jute.ACL(perms, "world", "anyone")]).err == 0
    assert jc.delete(base + "/n").err == 0  # DELETE is checked on the (open) parent
    B.sync("/")
    expected = [(E.EV_DELETED, base + "/n")] if perms & jute.PERM_READ else []
    assert [(e.type, e.path) for e in B.take_events()] == expected
