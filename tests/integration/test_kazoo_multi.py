"""multi / multiRead: atomicity, per-op results and ZooKeeper's error layout."""

import pytest
from kazoo.exceptions import NodeExistsError, RolledBackError, NoNodeError, BadVersionError

from . import jute

OP = jute.OP


def test_kazoo_transaction_success(zk, base):
    zk.create(base + "/s", b"0")
    t = zk.transaction()
    t.create(base + "/a", b"x")
    t.check(base + "/s", 0)
    t.set_data(base + "/s", b"1")
    t.create(base + "/a/b")
    t.delete(base + "/a/b")
    res = t.commit()
    assert res[0] == base + "/a"
    assert res[1] is True
    assert res[2].version == 1
    assert res[3] == base + "/a/b"
    assert res[4] is True
    assert zk.get(base + "/s")[0] == b"1"
    assert zk.get_children(base + "/a") == []


def test_kazoo_transaction_failure_is_atomic(zk, base):
    zk.create(base + "/s", b"0")
    t = zk.transaction()
    t.create(base + "/a")
    t.set_data(base + "/s", b"1")
    t.create(base + "/s")  # fails: exists
    t.delete(base + "/s")
    res = t.commit()
    assert isinstance(res[0], RolledBackError)
    assert isinstance(res[1], RolledBackError)
    assert isinstance(res[2], NodeExistsError)
    # ops after the failing one report RuntimeInconsistency (kazoo: RuntimeInconsistency)
    assert type(res[3]).__name__ == "RuntimeInconsistency"
    assert zk.exists(base + "/a") is None
    assert zk.get(base + "/s")[0] == b"0"


def test_multi_error_layout_raw(jc, base):
    jc.create(base + "/x")
    rep = jc.multi([jute.op_create(base + "/a"), jute.op_create(base + "/x"),
                    jute.op_set(base + "/zz", b""), jute.op_check(base + "/x", 7)])
    # the reply header carries err=0; the per-op results carry the error layout:
    # ops before the failure: ErrorResult(0); the failing op: its code;
    # ops after it: RuntimeInconsistency (-2). Each result header has type -1.
    assert rep.err == jute.OK
    assert rep.body == [(-1, 0, 0), (-1, jute.NODEEXISTS, jute.NODEEXISTS),
                        (-1, jute.RUNTIMEINCONSISTENCY, jute.RUNTIMEINCONSISTENCY),
                        (-1, jute.RUNTIMEINCONSISTENCY, jute.RUNTIMEINCONSISTENCY)]
    assert jc.exists(base + "/a").err == jute.NONODE


@pytest.mark.parametrize("fail_op,code", [
    ("check", jute.BADVERSION),
    ("delete_missing", jute.NONODE),
    ("delete_notempty", jute.NOTEMPTY),
    ("set_badversion", jute.BADVERSION),
    ("create_nochildren_eph", jute.NOCHILDRENFOREPHEMERALS),
    ("create_badpath", jute.BADARGUMENTS),
])
def test_multi_each_error_code(jc, base, fail_op, code):
    jc.create(base + "/p")
    jc.create(base + "/p/c")
    jc.create(base + "/e", flags=jute.EPHEMERAL)
    failing = {
        "check": jute.op_check(base + "/p", 3),
        "delete_missing": jute.op_delete(base + "/missing"),
        "delete_notempty": jute.op_delete(base + "/p"),
        "set_badversion": jute.op_set(base + "/p", b"", 9),
        "create_nochildren_eph": jute.op_create(base + "/e/c"),
        "create_badpath": jute.op_create(base + "/p/"),
    }[fail_op]
    rep = jc.multi([jute.op_set(base + "/p", b"v"), failing, jute.op_create(base + "/q")])
    assert rep.err == jute.OK
    assert rep.body == [(-1, 0, 0), (-1, code, code),
                        (-1, jute.RUNTIMEINCONSISTENCY, jute.RUNTIMEINCONSISTENCY)]
    assert jc.get_data(base + "/p").body[1].version == 0  # rolled back


def test_multi_ops_see_earlier_ops(jc, base):
    # later ops observe the effects of earlier ops in the same multi
    rep = jc.multi([jute.op_create(base + "/a"), jute.op_create(base + "/a/b", b"1"),
                    jute.op_set(base + "/a/b", b"2", 0), jute.op_check(base + "/a/b", 1),
                    jute.op_delete(base + "/a/b", 1), jute.op_check(base + "/a", -1)])
    assert rep.err == 0
    types = [t for t, _, _ in rep.body]
    assert types == [OP["create"], OP["create"], OP["setData"], OP["check"], OP["delete"], OP["check"]]
    assert all(e == 0 for _, e, _ in rep.body)
    assert rep.body[2][2].version == 1
    # all ops of one multi share one zxid
    a = jc.exists(base + "/a").body
    assert a.czxid == rep.zxid == a.pzxid
    assert a.cversion == 2  # the child was created and deleted


def test_multi_create2_result_is_plain_create_result(jc, base):
    """ZooKeeper 3.8.0 answers a create2 op inside multi with a CreateResult of
    type 1 (create) carrying only the path, no Stat."""
    rep = jc.request(OP["multi"], jute.multi_body([jute.op_create2(base + "/a", b"abc"),
                                                  jute.op_create2(base + "/s-", flags=jute.PERSISTENT_SEQUENTIAL)]))
    assert rep.err == 0
    expect = (jute.w_int(OP["create"]) + jute.w_bool(False) + jute.w_int(0) + jute.w_string(base + "/a")
              + jute.w_int(OP["create"]) + jute.w_bool(False) + jute.w_int(0) + jute.w_string(base + "/s-0000000001")
              + jute.w_int(-1) + jute.w_bool(True) + jute.w_int(-1))
    assert rep.body == expect


def test_multi_empty(jc):
    rep = jc.multi([])
    assert rep.err == 0 and rep.body == []


def test_multi_read(jc, base):
    jc.create(base + "/a", b"A")
    jc.create(base + "/a/k")
    rep = jc.multi_read([jute.op_get_data(base + "/a"), jute.op_get_children(base + "/nope"),
                         jute.op_get_children(base + "/a"), jute.op_get_data(base + "/nope")])
    # reads are independent: a failing read does not affect the others
    assert rep.err == 0
    (t0, e0, (data, st)), r1, r2, r3 = rep.body
    assert (t0, e0, data) == (OP["getData"], 0, b"A") and st.numChildren == 1
    assert r1 == (-1, jute.NONODE, jute.NONODE)
    assert r2 == (OP["getChildren"], 0, ["k"])
    assert r3 == (-1, jute.NONODE, jute.NONODE)


def test_multi_mixing_reads_and_writes_rejected(jc, base):
    # a read op inside multi (or a write inside multiRead) is a MarshallingError (-5)
    # with an empty body; the connection stays usable and nothing is applied.
    rep = jc.request(OP["multi"], jute.multi_body([jute.op_create(base + "/a"), jute.op_get_data(base)]))
    assert (rep.err, rep.body) == (jute.MARSHALLINGERROR, b"")
    assert jc.exists(base + "/a").err == jute.NONODE
    rep = jc.request(OP["multiRead"], jute.multi_body([jute.op_get_data(base), jute.op_create(base + "/a")]))
    assert (rep.err, rep.body) == (jute.MARSHALLINGERROR, b"")
    assert jc.exists(base + "/a").err == jute.NONODE


def test_multi_ephemeral_and_sequential(jc, base):
    rep = jc.multi([jute.op_create(base + "/e", flags=jute.EPHEMERAL),
                    jute.op_create(base + "/s-", flags=jute.PERSISTENT_SEQUENTIAL),
                    jute.op_create(base + "/s-", flags=jute.PERSISTENT_SEQUENTIAL)])
    assert [r[2] for r in rep.body] == [base + "/e", base + "/s-0000000001", base + "/s-0000000002"]
    assert jc.exists(base + "/e").body.ephemeralOwner == jc.session_id


def test_multi_container_and_ttl_ops_answer_create2_results(jc, base):
    """Inside multi, createContainer(19) and createTTL(21) are answered with type 15
    (create2) results carrying path and Stat — unlike create2 itself (type 1, path only)."""
    cont = (OP["createContainer"], jute.create_body(base + "/cont", flags=jute.CONTAINER))
    ttl = (OP["createTTL"], jute.create_body(base + "/ttl", flags=jute.PERSISTENT_WITH_TTL, ttl=60000))
    rep = jc.multi([cont, ttl])
    assert rep.err == 0
    (t0, e0, (p0, s0)), (t1, e1, (p1, s1)) = rep.body
    assert (t0, e0, p0, t1, e1, p1) == (OP["create2"], 0, base + "/cont", OP["create2"], 0, base + "/ttl")
    assert s0.czxid == s1.czxid == rep.zxid
    assert s0.ephemeralOwner == 0 and s1.ephemeralOwner == 0


@pytest.mark.parametrize("ops,expect", [
    (lambda b: [jute.op_create(b + "/ro/x")], [(-1, jute.NOAUTH, jute.NOAUTH)]),
    (lambda b: [jute.op_create(b + "/a"), jute.op_set(b + "/ro", b"x")],
     [(-1, 0, 0), (-1, jute.NOAUTH, jute.NOAUTH)]),
    (lambda b: [jute.op_check(b + "/nope", -1)], [(-1, jute.NONODE, jute.NONODE)]),
    (lambda b: [jute.op_create(b + "/e", flags=jute.EPHEMERAL), jute.op_create(b + "/e/c")],
     [(-1, 0, 0), (-1, jute.NOCHILDRENFOREPHEMERALS, jute.NOCHILDRENFOREPHEMERALS)]),
    (lambda b: [jute.op_delete(b + "/zz"), jute.op_create(b + "/q"), jute.op_create(b + "/q2")],
     [(-1, jute.NONODE, jute.NONODE), (-1, -2, -2), (-1, -2, -2)]),
    (lambda b: [jute.op_create(b + "/d"), jute.op_create(b + "/d")], [(-1, 0, 0), (-1, jute.NODEEXISTS, jute.NODEEXISTS)]),
    (lambda b: [jute.op_create(b + "/ba", acl=[])], [(-1, jute.INVALIDACL, jute.INVALIDACL)]),
    (lambda b: [jute.op_create(b + "/ok"), jute.op_set("bad", b"")], [(-1, 0, 0), (-1, jute.BADARGUMENTS, jute.BADARGUMENTS)]),
], ids=["noauth-only", "noauth-second", "check-missing", "eph-under-eph-same-multi", "first-fails",
        "same-path-twice", "invalid-acl", "bad-path"])
def test_multi_error_cases(jc, base, ops, expect):
    jc.create(base + "/ro", acl=jute.READ_ACL_UNSAFE)
    rep = jc.multi(ops(base))
    assert rep.err == 0 and rep.body == expect
    assert jc.get_children(base).body == ["ro"]  # nothing applied


def test_multi_delete_then_recreate(jc, base):
    jc.create(base + "/ro", b"old", acl=jute.READ_ACL_UNSAFE)
    rep = jc.multi([jute.op_delete(base + "/ro"), jute.op_create(base + "/ro", b"new")])
    assert rep.body == [(OP["delete"], 0, None), (OP["create"], 0, base + "/ro")]
    data, st = jc.get_data(base + "/ro").body
    assert data == b"new" and st.czxid == rep.zxid
