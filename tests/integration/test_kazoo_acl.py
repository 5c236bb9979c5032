"""ACLs (world, auth, digest, ip), addauth, superDigest, whoAmI, getEphemerals, getAllChildrenNumber, sync."""

import base64
import hashlib

import pytest
from kazoo.exceptions import NoAuthError, InvalidACLError, BadVersionError
from kazoo.security import ACL, Id, make_digest_acl, make_digest_acl_credential, OPEN_ACL_UNSAFE

from . import jute

A = jute.ACL


def digest(user, password):
    return "%s:%s" % (user, base64.b64encode(hashlib.sha1(("%s:%s" % (user, password)).encode()).digest()).decode())


def test_world_read_only(zk, base):
    zk.create(base + "/ro", b"x", acl=[ACL(1, Id("world", "anyone"))])
    assert zk.get(base + "/ro")[0] == b"x"
    with pytest.raises(NoAuthError):
        zk.set(base + "/ro", b"y")
    with pytest.raises(NoAuthError):
        zk.create(base + "/ro/child")
    with pytest.raises(NoAuthError):
        zk.set_acls(base + "/ro", OPEN_ACL_UNSAFE)
    # delete needs DELETE on the parent, not on the node itself
    zk.delete(base + "/ro")


def test_permission_per_operation(jc, base):
    def node(name, perms):
        assert jc.create(base + "/" + name, b"d", acl=[A(perms, "world", "anyone")]).err == 0
        return base + "/" + name
    w = node("w", jute.PERM_WRITE)
    assert jc.get_data(w).err == jute.NOAUTH
    assert jc.get_children(w).err == jute.NOAUTH
    assert jc.get_children2(w).err == jute.NOAUTH
    assert jc.get_acl(w).err == jute.NOAUTH       # getACL needs READ or ADMIN
    assert jc.exists(w).err == 0                    # exists is never ACL-checked
    assert jc.set_data(w, b"x").err == 0
    r = node("r", jute.PERM_READ | jute.PERM_ADMIN)
    assert jc.get_acl(r).err == 0
    assert jc.set_acl(r, jute.OPEN_ACL_UNSAFE).err == 0
    c = node("c", jute.PERM_CREATE)
    assert jc.create(c + "/x").err == 0
    assert jc.delete(c + "/x").err == jute.NOAUTH   # needs DELETE on the parent
    d = node("d", jute.PERM_DELETE)
    assert jc.create(d + "/x").err == jute.NOAUTH
    a = node("a", jute.PERM_ADMIN)
    assert jc.get_acl(a).err == 0
    n = node("n", 0)
    assert jc.get_acl(n).err == jute.NOAUTH
    assert jc.set_acl(n, jute.OPEN_ACL_UNSAFE).err == jute.NOAUTH


def test_digest_acl_and_addauth(server, kazoo_factory, base):
    owner = kazoo_factory(server, auth_data=[("digest", "alice:secret")])
    owner.create(base + "/d", b"private", acl=[make_digest_acl("alice", "secret", all=True)])
    anon = kazoo_factory(server)
    with pytest.raises(NoAuthError):
        anon.get(base + "/d")
    anon.add_auth("digest", "alice:wrong")  # wrong password: accepted, but grants nothing
    with pytest.raises(NoAuthError):
        anon.get(base + "/d")
    anon.add_auth("digest", "alice:secret")
    assert anon.get(base + "/d")[0] == b"private"
    acls, st = anon.get_acls(base + "/d")
    assert [(a.perms, a.id.scheme, a.id.id) for a in acls] == [(31, "digest", digest("alice", "secret"))]


def test_auth_scheme_expands_to_session_identities(jc, base):
    # without any authenticated identity the "auth" scheme is invalid
    assert jc.create(base + "/x", acl=jute.CREATOR_ALL_ACL).err == jute.INVALIDACL
    assert jc.add_auth("digest", "u:p").err == 0
    rep = jc.create(base + "/x", acl=[A(31, "auth", "ignored-id")])
    assert rep.err == 0
    acls, st = jc.get_acl(base + "/x").body
    assert acls == [A(31, "digest", digest("u", "p"))]
    assert st.aversion == 0


@pytest.mark.parametrize("acl", [
    [],
    [A(31, "nosuchscheme", "x")],
    [A(31, "digest", "no-colon")],
    [A(31, "ip", "not-an-ip")],
    [A(31, "world", "someone")],
], ids=["empty", "unknown-scheme", "bad-digest", "bad-ip", "world-not-anyone"])
def test_invalid_acls(jc, base, acl):
    assert jc.create(base + "/x", acl=acl).err == jute.INVALIDACL
    jc.create(base + "/ok")
    assert jc.set_acl(base + "/ok", acl).err == jute.INVALIDACL


def test_unusual_but_valid_perms(jc, base):
    assert jc.create(base + "/p0", acl=[A(0, "world", "anyone")]).err == 0
    assert jc.create(base + "/p63", acl=[A(63, "world", "anyone")]).err == 0


def test_ip_acl(jc, base):
    assert jc.create(base + "/mine", b"m", acl=[A(31, "ip", "127.0.0.1")]).err == 0
    assert jc.get_data(base + "/mine").err == 0
    assert jc.create(base + "/net", b"n", acl=[A(31, "ip", "127.0.0.0/8")]).err == 0
    assert jc.get_data(base + "/net").err == 0
    assert jc.create(base + "/other", b"o", acl=[A(31, "ip", "10.1.2.3")]).err == 0
    assert jc.get_data(base + "/other").err == jute.NOAUTH


def test_set_acl_versions(zk, base):
    zk.create(base + "/n")
    st = zk.set_acls(base + "/n", [ACL(31, Id("world", "anyone"))], version=0)
    assert st.aversion == 1 and st.version == 0
    with pytest.raises(BadVersionError):
        zk.set_acls(base + "/n", OPEN_ACL_UNSAFE, version=0)
    acls, st = zk.get_acls(base + "/n")
    assert st.aversion == 1
    assert [(a.perms, a.id.scheme, a.id.id) for a in acls] == [(31, "world", "anyone")]
    _, st2 = zk.get(base + "/n")
    assert st2.mzxid == st2.czxid  # setACL does not touch mzxid


def test_bad_auth_scheme_closes_connection(server):
    c = server.jute()
    rep = c.add_auth("nosuchscheme", "x")
    assert (rep.xid, rep.err) == (jute.AUTH_XID, jute.AUTHFAILED)
    with pytest.raises((ConnectionError, OSError)):
        c.exists("/")
    c.close_socket()


def test_whoami(jc):
    rep = jc.whoami()
    assert rep.err == 0 and rep.body == [("ip", "127.0.0.1")]
    assert jc.add_auth("digest", "bob:pw").err == 0
    assert jc.add_auth("digest", "carol:pw").err == 0
    assert sorted(jc.whoami().body) == [("digest", "bob"), ("digest", "carol"), ("ip", "127.0.0.1")]


def test_super_digest(server_factory, jute_factory):
    srv = server_factory(sysprops={"zookeeper.DigestAuthenticationProvider.superDigest": digest("super", "s3cret")})
    owner = jute_factory(srv)
    owner.add_auth("digest", "alice:pw")
    assert owner.create("/locked", b"L", acl=jute.CREATOR_ALL_ACL).err == 0
    anon = jute_factory(srv)
    assert anon.get_data("/locked").err == jute.NOAUTH
    admin = jute_factory(srv)
    assert admin.add_auth("digest", "super:s3cret").err == 0
    assert admin.get_data("/locked").body[0] == b"L"
    assert admin.set_acl("/locked", jute.OPEN_ACL_UNSAFE).err == 0
    assert ("super", "") in admin.whoami().body or ("digest", "super") in admin.whoami().body
    assert anon.get_data("/locked").err == 0
    wrong = jute_factory(srv)
    wrong.add_auth("digest", "super:nope")
    assert owner.set_acl("/locked", jute.CREATOR_ALL_ACL).err == 0
    assert wrong.get_data("/locked").err == jute.NOAUTH


def test_get_ephemerals(server, jc, base):
    other = server.jute()
    other.create(base + "/x", flags=jute.EPHEMERAL)
    assert jc.get_ephemerals(base).body == []
    jc.create(base + "/ee", flags=jute.EPHEMERAL)
    eseq = jc.create(base + "/ef", flags=jute.EPHEMERAL_SEQUENTIAL).body
    jc.create(base + "/p")
    assert sorted(jc.get_ephemerals(base).body) == sorted([base + "/ee", eseq])
    # plain string-prefix match, not a path-component match
    assert sorted(jc.get_ephemerals(base + "/e").body) == sorted([base + "/ee", eseq])
    assert jc.get_ephemerals(base + "/ee").body == [base + "/ee"]
    assert sorted(jc.get_ephemerals("/").body) == sorted([base + "/ee", eseq])
    assert jc.get_ephemerals("/nope").body == []
    other.close()


def test_get_all_children_number(jc, base):
    jc.create(base + "/a")
    jc.create(base + "/a/b")
    jc.create(base + "/a/b/c")
    jc.create(base + "/d")
    rep = jc.get_all_children_number(base)
    assert rep.err == 0 and rep.body == 4  # every descendant, the node itself excluded
    assert jc.get_all_children_number(base + "/a/b/c").body == 0
    assert jc.get_all_children_number(base + "/nope").err == jute.NONODE


def test_sync_echoes_path(jc, base):
    assert jc.sync(base).body == base
    # sync does not check the path at all
    assert jc.sync(base + "/nope").body == base + "/nope"
    rep = jc.sync("not-a-path")
    assert (rep.err, rep.body) == (0, "not-a-path")


def test_kazoo_sync(zk, base):
    assert zk.sync(base) == base
