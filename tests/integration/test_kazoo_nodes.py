"""Node CRUD, Stat rules, sequential names, node types, path validation (kazoo + raw jute)."""

import time

import pytest
from kazoo.exceptions import (BadArgumentsError, BadVersionError, NoChildrenForEphemeralsError,
                              NodeExistsError, NoNodeError, NotEmptyError)

from . import jute


def test_create_get_and_fresh_stat(zk, base):
    before = int(time.time() * 1000)
    path = zk.create(base + "/n", b"hello")
    after = int(time.time() * 1000)
    assert path == base + "/n"
    data, st = zk.get(path)
    assert data == b"hello"
    assert st.czxid == st.mzxid == st.pzxid and st.czxid > 0
    assert st.ctime == st.mtime
    assert before - 1000 <= st.ctime <= after + 1000
    assert (st.version, st.cversion, st.aversion) == (0, 0, 0)
    assert st.ephemeralOwner == 0
    assert st.dataLength == 5 and st.numChildren == 0


def test_create_existing_and_missing_parent(zk, base):
    zk.create(base + "/a")
    with pytest.raises(NodeExistsError):
        zk.create(base + "/a")
    with pytest.raises(NoNodeError):
        zk.create(base + "/missing/child")
    assert zk.create(base + "/x/y/z", b"v", makepath=True) == base + "/x/y/z"


def test_set_data_versions_and_stat(zk, base):
    zk.create(base + "/a", b"1")
    _, s0 = zk.get(base + "/a")
    s1 = zk.set(base + "/a", b"22", version=0)
    assert s1.version == 1 and s1.dataLength == 2
    assert s1.czxid == s0.czxid and s1.mzxid > s0.mzxid
    assert s1.pzxid == s0.pzxid  # data changes do not move pzxid
    assert s1.ctime == s0.ctime and s1.mtime >= s0.mtime
    with pytest.raises(BadVersionError):
        zk.set(base + "/a", b"x", version=0)
    s2 = zk.set(base + "/a", b"", version=-1)
    assert s2.version == 2 and s2.dataLength == 0
    assert zk.get(base + "/a")[0] == b""
    with pytest.raises(NoNodeError):
        zk.set(base + "/nope", b"x")


def test_delete_versions_notempty_nonode(zk, base):
    zk.create(base + "/a/b", makepath=True)
    with pytest.raises(NotEmptyError):
        zk.delete(base + "/a")
    zk.set(base + "/a/b", b"x")
    with pytest.raises(BadVersionError):
        zk.delete(base + "/a/b", version=0)
    zk.delete(base + "/a/b", version=1)
    zk.delete(base + "/a")
    with pytest.raises(NoNodeError):
        zk.delete(base + "/a")
    assert zk.exists(base + "/a") is None


def test_parent_stat_tracks_children(zk, base):
    _, p0 = zk.get(base)
    zk.create(base + "/c1")
    _, c1 = zk.get(base + "/c1")
    _, p1 = zk.get(base)
    assert p1.cversion == p0.cversion + 1 and p1.numChildren == 1
    assert p1.pzxid == c1.czxid
    assert p1.mzxid == p0.mzxid and p1.version == p0.version  # children do not touch data version
    zk.create(base + "/c2")
    zk.delete(base + "/c1")
    _, p2 = zk.get(base)
    assert p2.cversion == p0.cversion + 3  # bumps on child create and on child delete
    assert p2.numChildren == 1
    assert p2.pzxid > p1.pzxid  # the delete moved pzxid
    zk.set(base + "/c2", b"data")
    _, p3 = zk.get(base)
    assert p3.pzxid == p2.pzxid and p3.cversion == p2.cversion  # grandchild-level data changes do not count
    # pzxid of a childless node equals its czxid
    _, c2 = zk.get(base + "/c2")
    assert c2.pzxid == c2.czxid


def test_sequential_names_follow_parent_cversion(zk, base):
    zk.create(base + "/plain")  # cversion 1
    p = zk.create(base + "/s-", b"", sequence=True)
    assert p == base + "/s-0000000001"
    zk.delete(base + "/plain")  # bumps Stat.cversion, but not the sequence counter (see below)
    p = zk.create(base + "/s-", sequence=True)
    assert p == base + "/s-0000000002"
    p = zk.create(base + "/other", sequence=True)  # counter is per parent, not per prefix
    assert p == base + "/other0000000003"
    p = zk.create(base + "/e-", ephemeral=True, sequence=True)
    assert p == base + "/e-0000000004"
    _, st = zk.get(p)
    assert st.ephemeralOwner == zk.client_id[0]
    # a trailing slash is allowed for a sequential create: the name is just the number
    rep_path = zk.create(base + "/", sequence=True)
    assert rep_path == base + "/0000000005"


def test_sequence_counter_after_children_deleted(zk, base):
    for i in range(3):
        assert zk.create(base + "/q-", sequence=True) == base + "/q-%010d" % i
    for c in zk.get_children(base):
        zk.delete(base + "/" + c)
    # deletes do not advance the sequence counter, so numbering simply continues
    assert zk.create(base + "/q-", sequence=True) == base + "/q-%010d" % 3


def test_ephemeral_owner_and_no_children(zk, base):
    zk.create(base + "/e", b"x", ephemeral=True)
    _, st = zk.get(base + "/e")
    assert st.ephemeralOwner == zk.client_id[0] != 0
    with pytest.raises(NoChildrenForEphemeralsError):
        zk.create(base + "/e/child")
    with pytest.raises(NoChildrenForEphemeralsError):
        zk.create(base + "/e/child", sequence=True)


def test_ephemeral_removed_on_close(server, kazoo_factory, zk, base):
    other = kazoo_factory(server)
    other.create(base + "/e", ephemeral=True)
    assert zk.exists(base + "/e") is not None
    other.stop()
    zk.sync(base)
    assert zk.exists(base + "/e") is None


def test_get_children_and_stat(zk, base):
    for n in ("b", "a", "c"):
        zk.create(base + "/" + n)
    assert sorted(zk.get_children(base)) == ["a", "b", "c"]
    children, st = zk.get_children(base, include_data=True)
    assert sorted(children) == ["a", "b", "c"]
    assert st.numChildren == 3 and st.cversion == 3
    assert zk.get_children(base + "/a") == []
    with pytest.raises(NoNodeError):
        zk.get_children(base + "/nope")


def test_exists(zk, base):
    assert zk.exists(base + "/nope") is None
    zk.create(base + "/yes", b"abc")
    st = zk.exists(base + "/yes")
    assert st.dataLength == 3 and st.version == 0


def test_large_value_roundtrip(zk, base):
    value = bytes(range(256)) * 2000  # 512000 bytes, below jute.maxbuffer
    zk.create(base + "/big", value)
    data, st = zk.get(base + "/big")
    assert data == value and st.dataLength == len(value)


def test_null_data_vs_empty(jc, base):
    # data may be sent as a null buffer (-1); it reads back as empty with dataLength 0
    rep = jc.request(jute.OP["create"], jute.w_string(base + "/n") + jute.w_int(-1)
                     + jute.w_acls(jute.OPEN_ACL_UNSAFE) + jute.w_int(0))
    assert rep.err == jute.OK
    g = jc.get_data(base + "/n")
    assert g.err == 0 and g.body[1].dataLength == 0
    assert g.body[0] in (b"", None)


def test_create2_returns_stat(jc, base):
    rep = jc.create2(base + "/c2", b"abc")
    assert rep.err == jute.OK
    path, st = rep.body
    assert path == base + "/c2" and st.dataLength == 3 and st.czxid == rep.zxid
    assert jc.exists(base + "/c2").body == st


def test_zxids_increase_and_reply_header_zxid(jc, base):
    a = jc.create(base + "/a")
    b = jc.create(base + "/b")
    assert b.zxid == a.zxid + 1
    st = jc.exists(base + "/b").body
    assert st.czxid == b.zxid
    # a read returns the last committed zxid in its reply header
    r = jc.exists(base + "/a")
    assert r.zxid >= b.zxid


@pytest.mark.parametrize("path,create_err", [
    ("", jute.BADARGUMENTS),
    ("relative", jute.BADARGUMENTS),
    ("/", jute.BADARGUMENTS),            # "<base>/": parent exists, then the path itself is invalid
    ("/missing/", jute.NONODE),          # parent "<base>/missing" is looked up first
    ("/a\0b", jute.BADARGUMENTS),
    ("//double", jute.NONODE),           # the parent ("/"+"" ) lookup fails first
    ("/./x", jute.NONODE),
    ("/../x", jute.NONODE),
])
def test_create_path_validation(jc, base, path, create_err):
    # paths are made relative to this test's base node unless empty/relative
    full = path if not path.startswith("/") else base + path
    rep = jc.create(full)
    assert rep.err == create_err, (full, rep)


def test_path_validation_on_other_ops(jc, base):
    # reads do not validate paths: an invalid one simply does not exist
    assert jc.get_data("relative").err == jute.NONODE
    assert jc.exists(base + "/trailing/").err == jute.NONODE
    assert jc.get_data(base + "/a\0b").err == jute.NONODE
    # ...except exists, which rejects an embedded NUL
    assert jc.exists(base + "/a\0b").err == jute.BADARGUMENTS
    # writes validate
    assert jc.set_data("relative", b"").err == jute.BADARGUMENTS
    assert jc.set_data(base + "/trailing/", b"").err == jute.BADARGUMENTS
    assert jc.delete("relative").err == jute.BADARGUMENTS
    assert jc.delete(base + "/a\0b").err == jute.BADARGUMENTS
    assert jc.delete(base + "/trailing/").err == jute.NONODE


def test_root_node_rules(jc):
    assert jc.create("/").err == jute.NODEEXISTS
    assert jc.delete("/").err == jute.BADARGUMENTS
    assert jc.exists("/").err == jute.OK
    assert jc.get_data("/").err == jute.OK
    # the empty path addresses the root for reads
    assert jc.get_data("").err == jute.OK
    assert jc.exists("").err == jute.OK
    assert jc.delete("").err == jute.BADARGUMENTS


def test_zookeeper_system_node(jc):
    ch = jc.get_children("/zookeeper")
    assert ch.err == 0 and "quota" in ch.body
    assert jc.exists("/zookeeper/quota").err == jute.OK


def test_kazoo_rejects_bad_version_type(zk, base):
    # the server answers BadArguments for a negative version other than -1? No: any
    # version that does not match is BadVersion.
    zk.create(base + "/v")
    with pytest.raises(BadVersionError):
        zk.set(base + "/v", b"x", version=-2)
    with pytest.raises(BadVersionError):
        zk.delete(base + "/v", version=5)


def test_container_node(jc, base):
    rep = jc.create_container(base + "/cont", b"c")
    assert rep.err == jute.OK
    path, st = rep.body
    assert path == base + "/cont"
    assert st.ephemeralOwner == 0 and st.dataLength == 1
    assert jc.create(base + "/cont/child").err == jute.OK
    # a container with a child is reaped once it becomes empty again
    assert jc.delete(base + "/cont/child").err == jute.OK
    deadline = time.monotonic() + 15
    while jc.exists(base + "/cont").err == jute.OK:
        assert time.monotonic() < deadline, "container not reaped"
        time.sleep(0.1)


def test_container_never_used_is_kept(jc, base):
    assert jc.create_container(base + "/empty").err == jute.OK
    # wait for several reaper runs (interval 200 ms in this suite) — a container that
    # never had a child must survive (znode.container.maxNeverUsedIntervalMs=0)
    jc.create(base + "/marker")
    time.sleep(1.0)
    assert jc.exists(base + "/empty").err == jute.OK


def test_container_flag_on_plain_create_makes_plain_node(jc, base):
    # ZooKeeper 3.8 accepts flags=CONTAINER on a plain create(1) but the node is an
    # ordinary persistent one: it is not reaped after its last child goes away.
    rep = jc.create(base + "/cc", flags=jute.CONTAINER)
    assert rep.err == jute.OK and rep.body == base + "/cc"
    assert jc.create(base + "/cc/x").err == jute.OK
    assert jc.delete(base + "/cc/x").err == jute.OK
    time.sleep(1.0)  # several reaper intervals (200 ms)
    assert jc.exists(base + "/cc").err == jute.OK


def test_create_container_ignores_flags(jc, base):
    # opcode 19 decides the node type; the flags field is not checked
    for flags in (jute.PERSISTENT, jute.EPHEMERAL):
        rep = jc.request(jute.OP["createContainer"], jute.create_body(base + "/c%d" % flags, flags=flags))
        assert rep.err == jute.OK
        r = jute.Reader(rep.body)
        assert r.string() == base + "/c%d" % flags
        assert r.stat().ephemeralOwner == 0


def test_invalid_create_flags(jc, base):
    for flags in (7, -1, 100):
        assert jc.create(base + "/f", flags=flags).err == jute.BADARGUMENTS


def test_cversion_counts_deletes_but_sequence_suffix_does_not(jc, base):
    """Observed on ZooKeeper 3.8.0: Stat.cversion is bumped by child creates AND
    deletes, but the sequential suffix only advances with creates (the
    PrepRequestProcessor's view of the parent ignores deletes)."""
    def cv():
        return jc.exists(base).body.cversion
    assert cv() == 0
    jc.create(base + "/a")
    assert cv() == 1
    jc.delete(base + "/a")
    assert cv() == 2
    assert jc.create(base + "/s-", flags=jute.PERSISTENT_SEQUENTIAL).body == base + "/s-0000000001"
    assert cv() == 3
    jc.create(base + "/b")
    jc.delete(base + "/b")
    assert cv() == 5
    assert jc.create(base + "/s-", flags=jute.PERSISTENT_SEQUENTIAL).body == base + "/s-0000000003"
    assert cv() == 6


def test_failed_write_consumes_a_zxid(jc, base):
    """ZooKeeper logs failed writes as error txns: the reply header carries a new zxid."""
    a = jc.create(base + "/a")
    bad = jc.create(base + "/a")
    assert bad.err == jute.NODEEXISTS and bad.zxid == a.zxid + 1
    bad2 = jc.delete(base + "/nope")
    assert bad2.err == jute.NONODE and bad2.zxid == a.zxid + 2
    ok = jc.create(base + "/b")
    assert ok.zxid == a.zxid + 3


def test_ttl_node(jc, base):
    rep = jc.create_ttl(base + "/ttl", b"t", ttl=500)
    assert rep.err == jute.OK
    path, st = rep.body
    # internally the TTL is encoded in ephemeralOwner, but clients see 0
    assert st.ephemeralOwner == 0
    deadline = time.monotonic() + 15
    while jc.exists(base + "/ttl").err == jute.OK:
        assert time.monotonic() < deadline, "ttl node not reaped"
        time.sleep(0.1)


def test_ttl_sequential_and_invalid(jc, base):
    rep = jc.create_ttl(base + "/s-", flags=jute.PERSISTENT_SEQUENTIAL_WITH_TTL, ttl=60000)
    assert rep.err == jute.OK and rep.body[0] == base + "/s-0000000000"
    # ttl must be > 0
    assert jc.create_ttl(base + "/z", ttl=0).err == jute.BADARGUMENTS
    assert jc.create_ttl(base + "/z", ttl=-1).err == jute.BADARGUMENTS
    # the TTL limit is 2^40 - 1 ms
    assert jc.create_ttl(base + "/z", ttl=1 << 40).err == jute.BADARGUMENTS
    assert jc.create_ttl(base + "/maxttl", ttl=(1 << 40) - 1).err == jute.OK
    # createTTL with a non-TTL mode is refused
    for flags in (jute.PERSISTENT, jute.EPHEMERAL, jute.CONTAINER):
        assert jc.create_ttl(base + "/z", flags=flags, ttl=1000).err == jute.BADARGUMENTS
    # a TTL mode on plain create is refused
    assert jc.create(base + "/z", flags=jute.PERSISTENT_WITH_TTL).err == jute.BADARGUMENTS


def test_ttl_node_with_child_is_kept(jc, base):
    assert jc.create_ttl(base + "/ttlp", ttl=200).err == jute.OK
    assert jc.create(base + "/ttlp/c").err == jute.OK
    time.sleep(1.0)
    assert jc.exists(base + "/ttlp").err == jute.OK


def test_ttl_disabled_without_extended_types(server_factory, jute_factory):
    srv = server_factory(cfg={"extendedTypesEnabled": None})
    c = jute_factory(srv)
    rep = c.create_ttl("/ttl", ttl=1000)
    assert rep.err == jute.UNIMPLEMENTED
    assert c.exists("/ttl").err == jute.NONODE
