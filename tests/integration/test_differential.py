"""Differential tests: the same scripted sequences run against Apache ZooKeeper 3.8
(the reference, always started here) and the target (ZK_TARGET); the normalised
transcripts must be identical.

Normalisation: session ids become the script's session names; zxids that appear in
Stat fields or in replies to successful writes are replaced by their rank among all
such zxids of the scenario (so equal behaviour compares equal even if the absolute
counters differ, e.g. because of session-creation txns); ctime/mtime are replaced
by the facts the protocol guarantees (ctime == mtime for a fresh node, mtime moves
forward).  With ZK_TARGET=zookeeper the target is a second, independent ZooKeeper:
the suite then proves that the normalisation removes all run-to-run noise.
"""

import pytest

from . import jute
from .servers import Server, target

WRITES = {"create", "create2", "create_container", "create_ttl", "set_data", "delete", "set_acl", "multi"}


class Z:
    """A zxid to be replaced by its rank."""
    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v


class Recorder:
    def __init__(self, server):
        self.server = server
        self.clients = {}
        self.sids = {}
        self.log = []

    def session(self, name, **kw):
        c = self.server.jute(**kw)
        self.clients[name] = c
        self.sids[c.session_id] = name
        self.log.append((name, "connect", c.negotiated_timeout, len(c.passwd), c.read_only))
        return c

    def close(self, name):
        c = self.clients.pop(name)
        rep = c.close()
        self.log.append((name, "close", None if rep is None else rep.err))
        self.flush_events()

    def norm(self, v, field=None):
        if isinstance(v, jute.Stat):
            d = v._asdict()
            out = {k: d[k] for k in ("version", "cversion", "aversion", "dataLength", "numChildren")}
            out["czxid"], out["mzxid"], out["pzxid"] = Z(v.czxid), Z(v.mzxid), Z(v.pzxid)
            out["ephemeralOwner"] = self.sids.get(v.ephemeralOwner, v.ephemeralOwner if v.ephemeralOwner == 0 else "?")
            if v.version == 0:  # never written: mtime must equal ctime (otherwise the ms may or may not differ)
                out["ctime==mtime"] = v.ctime == v.mtime
            out["mtime>=ctime"] = v.mtime >= v.ctime
            return out
        if isinstance(v, jute.ACL):
            return tuple(v)
        if isinstance(v, (list, tuple)):
            return type(v)(self.norm(x) for x in v)
        if isinstance(v, bytes):
            return "bytes:" + v.hex()
        return v

    def do(self, name, method, *args, **kw):
        c = self.clients[name]
        try:
            rep = getattr(c, method)(*args, **kw)
        except (ConnectionError, OSError):
            self.log.append((name, method, repr(args)[:200], "connection closed"))
            self.drop(name)
            self.flush_events()
            return None
        body = rep.body
        if method == "whoami" and body is not None:
            body = sorted(body)
        if method == "get_ephemerals" and body is not None:
            body = sorted(body)
        if method in ("get_children",) and body is not None:
            body = sorted(body)
        if method == "get_children2" and body is not None:
            body = (sorted(body[0]), body[1])
        if method == "multi_read" and body is not None:
            # child order is unspecified (ZooKeeper returns HashSet order)
            body = [(t, e, sorted(p) if t == jute.OP["getChildren"] else p) for t, e, p in body]
        entry = [name, method, repr(args)[:200], rep.err, self.norm(body)]
        if method in WRITES and rep.err == 0:
            entry.append(Z(rep.zxid))
        if rep.xid < 0:
            entry.append(("xid", rep.xid))
        self.log.append(tuple(entry))
        self.flush_events()
        return rep

    def raw(self, name, opcode, body):
        """Send raw bytes; record the reply header (zxid only as 'positive or not') and body."""
        c = self.clients[name]
        try:
            rep = c.request(opcode, body)
            self.log.append((name, "raw", opcode, rep.err, rep.zxid > 0, rep.body.hex()))
        except (ConnectionError, OSError):
            self.log.append((name, "raw", opcode, "connection closed"))
            self.drop(name)
            return
        self.flush_events()

    def drop(self, name):
        c = self.clients.pop(name, None)
        if c is not None:
            c.close_socket()

    def flush_events(self):
        """sync every session so that pending notifications arrive, then log them in order."""
        for name, c in list(self.clients.items()):
            try:
                c.sync("/")
            except (ConnectionError, OSError):
                # the server dropped this connection after the last step
                self.log.append((name, "connection closed"))
                self.drop(name)
            for e in c.take_events():
                self.log.append((name, "event", e.type, e.state, e.path))

    def transcript(self):
        zs = []

        def collect(v):
            if isinstance(v, Z):
                zs.append(v.v)
            elif isinstance(v, dict):
                for x in v.values():
                    collect(x)
            elif isinstance(v, (list, tuple)):
                for x in v:
                    collect(x)
        collect(self.log)
        rank = {z: i for i, z in enumerate(sorted(set(zs)))}

        def subst(v):
            if isinstance(v, Z):
                return "z%d" % rank[v.v]
            if isinstance(v, dict):
                return {k: subst(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return type(v)(subst(x) for x in v)
            return v
        return [subst(e) for e in self.log]

    def finish(self):
        for name in list(self.clients):
            try:
                self.clients[name].close()
            except Exception:
                pass
        self.clients.clear()


@pytest.fixture
def servers():
    """A fresh pair per scenario, so the root node and the zxid history start equal."""
    ref = Server(kind="zookeeper", name="reference-zookeeper")
    tgt = Server(kind=target(), name="target-" + target())
    try:
        ref.start()
        tgt.start()
        yield ref, tgt
    finally:
        tgt.cleanup()
        ref.cleanup()


def run_both(servers, scenario):
    out = []
    for srv in servers:
        rec = Recorder(srv)
        try:
            scenario(rec)
        finally:
            rec.finish()
        out.append(rec.transcript())
    ref, tgt = out
    for i, (a, b) in enumerate(zip(ref, tgt)):
        if a != b:
            ctx = "\n".join("   %r" % (e,) for e in ref[max(0, i - 3):i])
            pytest.fail("transcripts differ at step %d\ncontext (both):\n%s\nzookeeper: %r\ntarget:    %r"
                        % (i, ctx, a, b))
    assert len(ref) == len(tgt), "transcript lengths differ: %d vs %d" % (len(ref), len(tgt))
    assert len(ref) > 5
    return ref


def sc_crud(r):
    r.session("A")
    b = "/diff-crud"
    r.do("A", "create", b, b"base")
    r.do("A", "create", b, b"dup")
    r.do("A", "create", b + "/x/y")
    r.do("A", "create2", b + "/a", b"alpha")
    r.do("A", "get_data", b + "/a")
    r.do("A", "set_data", b + "/a", b"beta", 0)
    r.do("A", "set_data", b + "/a", b"gamma", 0)
    r.do("A", "set_data", b + "/a", b"", -1)
    r.do("A", "exists", b + "/a")
    r.do("A", "exists", b + "/none")
    r.do("A", "create", b + "/a/child")
    r.do("A", "delete", b + "/a")
    r.do("A", "delete", b + "/a/child", 5)
    r.do("A", "delete", b + "/a/child", 0)
    r.do("A", "delete", b + "/a/child")
    r.do("A", "get_children2", b)
    for i in range(3):
        r.do("A", "create", b + "/seq-", b"", jute.OPEN_ACL_UNSAFE, jute.PERSISTENT_SEQUENTIAL)
    r.do("A", "delete", b + "/seq-0000000002")
    r.do("A", "create", b + "/seq-", b"", jute.OPEN_ACL_UNSAFE, jute.PERSISTENT_SEQUENTIAL)
    r.do("A", "create", b + "/eph", b"", jute.OPEN_ACL_UNSAFE, jute.EPHEMERAL)
    r.do("A", "create", b + "/eph/c")
    r.do("A", "create", b + "/es-", b"", jute.OPEN_ACL_UNSAFE, jute.EPHEMERAL_SEQUENTIAL)
    r.do("A", "get_data", b + "/eph")
    r.do("A", "get_children", b)
    r.do("A", "get_children2", b)
    r.do("A", "get_data", b)
    for p in ("", "rel", b + "/", b + "//d", b + "/./d", b + "/a\0b", "/"):
        r.do("A", "create", p)
        r.do("A", "get_data", p)
        r.do("A", "set_data", p, b"z")
        r.do("A", "delete", p)
    r.do("A", "get_all_children_number", b)
    r.do("A", "get_ephemerals", b)
    r.do("A", "sync", b)
    r.do("A", "create_container", b + "/cont")
    r.do("A", "create_ttl", b + "/ttl", b"", jute.OPEN_ACL_UNSAFE, jute.PERSISTENT_WITH_TTL, 100000)
    r.do("A", "create_ttl", b + "/ttl0", b"", jute.OPEN_ACL_UNSAFE, jute.PERSISTENT_WITH_TTL, 0)
    r.do("A", "get_data", b + "/cont")
    r.do("A", "get_data", b + "/ttl")


def sc_multi(r):
    r.session("A")
    b = "/diff-multi"
    r.do("A", "create", b)
    r.do("A", "multi", [jute.op_create(b + "/m1", b"1"), jute.op_create(b + "/m1/c"),
                        jute.op_set(b + "/m1", b"2", 0), jute.op_check(b + "/m1", 1),
                        jute.op_delete(b + "/m1/c"), jute.op_create(b + "/s-", flags=jute.PERSISTENT_SEQUENTIAL)])
    r.do("A", "multi", [jute.op_create(b + "/m2"), jute.op_create(b + "/m1"), jute.op_delete(b + "/zz")])
    r.do("A", "multi", [jute.op_check(b + "/m1", 7), jute.op_create(b + "/m3")])
    r.do("A", "multi", [jute.op_set(b + "/m1", b"", 1), jute.op_delete(b + "/missing")])
    r.do("A", "multi", [jute.op_create2(b + "/m4", b"four")])
    r.do("A", "multi", [])
    r.do("A", "exists", b + "/m2")
    r.do("A", "get_children2", b)
    r.do("A", "multi_read", [jute.op_get_data(b + "/m1"), jute.op_get_children(b), jute.op_get_data(b + "/nope")])
    r.raw("A", jute.OP["multi"], jute.multi_body([jute.op_create(b + "/bad"), jute.op_get_data(b)]))
    r.do("A", "exists", b + "/bad")


def sc_null_data(r):
    """Null data (-1 buffers) against empty data, in every op that carries data."""
    r.session("A")
    r.session("B")
    b = "/diff-null"
    r.do("A", "create", b, None)
    r.do("A", "get_data", b)
    r.do("A", "exists", b)
    r.do("B", "get_data", b, True)
    r.do("A", "set_data", b, b"", -1)
    r.do("A", "get_data", b)
    r.do("B", "get_data", b, True)
    r.do("A", "set_data", b, None, 1)
    r.do("A", "get_data", b)
    r.do("A", "create2", b + "/c2", None)
    r.do("A", "create", b + "/e", b"")
    r.do("A", "create", b + "/eph", None, jute.OPEN_ACL_UNSAFE, jute.EPHEMERAL)
    r.do("A", "create", b + "/seq-", None, jute.OPEN_ACL_UNSAFE, jute.PERSISTENT_SEQUENTIAL)
    r.do("A", "create_container", b + "/cont", None)
    r.do("A", "create_ttl", b + "/ttl", None, jute.OPEN_ACL_UNSAFE, jute.PERSISTENT_WITH_TTL, 100000)
    for p in ("/c2", "/e", "/eph", "/seq-0000000003", "/cont", "/ttl"):
        r.do("A", "get_data", b + p)
    r.do("A", "multi", [jute.op_create(b + "/m", None), jute.op_set(b + "/e", None), jute.op_create2(b + "/m2", None)])
    r.do("A", "multi", [jute.op_set(b + "/m", b"x"), jute.op_check(b + "/m", 9)])
    r.do("A", "multi_read", [jute.op_get_data(b + "/m"), jute.op_get_data(b + "/e"), jute.op_get_data(b + "/m2")])
    r.do("A", "get_children2", b)
    r.do("A", "set_data", b + "/nope", None)


def sc_watches(r):
    r.session("A")
    r.session("B")
    b = "/diff-watch"
    r.do("A", "create", b)
    r.do("B", "exists", b + "/n", True)
    r.do("B", "get_children", b, True)
    r.do("A", "create", b + "/n", b"v")
    r.do("B", "get_data", b + "/n", True)
    r.do("B", "get_children", b + "/n", True)
    r.do("A", "set_data", b + "/n", b"w")
    r.do("A", "set_data", b + "/n", b"x")
    r.do("A", "create", b + "/n/c")
    r.do("B", "get_data", b + "/n", True)
    r.do("B", "exists", b + "/n", True)
    r.do("B", "get_children", b, True)
    r.do("A", "delete", b + "/n/c")
    r.do("A", "delete", b + "/n")
    # persistent and recursive
    r.do("B", "add_watch", b + "/p", jute.ADD_WATCH_PERSISTENT)
    r.do("B", "add_watch", b + "/r", jute.ADD_WATCH_PERSISTENT_RECURSIVE)
    r.do("A", "create", b + "/p")
    r.do("A", "create", b + "/p/k")
    r.do("A", "set_data", b + "/p", b"1")
    r.do("A", "create", b + "/r")
    r.do("A", "create", b + "/r/k")
    r.do("A", "create", b + "/r/k/j")
    r.do("A", "set_data", b + "/r/k/j", b"1")
    r.do("A", "delete", b + "/r/k/j")
    r.do("A", "delete", b + "/p/k")
    # the watch owner's own writes
    r.do("B", "get_data", b + "/p", True)
    r.do("B", "set_data", b + "/p", b"self")
    # check/remove
    r.do("B", "check_watches", b + "/p", jute.WATCHER_ANY)
    r.do("B", "check_watches", b + "/nowatch", jute.WATCHER_DATA)
    r.do("B", "get_children", b + "/r", True)
    r.do("B", "check_watches", b + "/r", jute.WATCHER_CHILDREN)
    r.do("B", "remove_watches", b + "/r", jute.WATCHER_CHILDREN)
    r.do("B", "remove_watches", b + "/r", jute.WATCHER_CHILDREN)
    r.do("B", "remove_watches", b + "/p", jute.WATCHER_ANY)
    r.do("A", "set_data", b + "/p", b"2")
    r.do("A", "delete", b + "/r/k")
    r.do("B", "set_watches", 0, [b + "/r"], [b + "/new"], [b])
    r.do("A", "create", b + "/new")


def sc_acl_and_sessions(r):
    r.session("A")
    r.session("B")
    r.session("C", timeout_ms=100000)
    b = "/diff-acl"
    r.do("A", "create", b)
    r.do("A", "whoami")
    r.do("A", "create", b + "/auth", b"", jute.CREATOR_ALL_ACL)
    r.do("A", "add_auth", "digest", "alice:pw")
    r.do("A", "whoami")
    r.do("A", "create", b + "/auth", b"secret", jute.CREATOR_ALL_ACL)
    r.do("A", "get_acl", b + "/auth")
    r.do("B", "get_data", b + "/auth")
    r.do("B", "set_data", b + "/auth", b"x")
    r.do("B", "add_auth", "digest", "alice:wrong")
    r.do("B", "get_data", b + "/auth")
    r.do("B", "add_auth", "digest", "alice:pw")
    r.do("B", "get_data", b + "/auth")
    r.do("A", "create", b + "/ro", b"r", [jute.ACL(jute.PERM_READ, "world", "anyone")])
    r.do("B", "set_data", b + "/ro", b"w")
    r.do("B", "create", b + "/ro/c")
    r.do("B", "set_acl", b + "/ro", jute.OPEN_ACL_UNSAFE)
    r.do("A", "create", b + "/ip", b"", [jute.ACL(31, "ip", "127.0.0.1")])
    r.do("A", "create", b + "/ip10", b"", [jute.ACL(31, "ip", "10.0.0.1")])
    r.do("B", "get_data", b + "/ip")
    r.do("B", "get_data", b + "/ip10")
    r.do("A", "create", b + "/bad", b"", [])
    r.do("A", "create", b + "/bad", b"", [jute.ACL(31, "nosuch", "x")])
    r.do("A", "create", b + "/acl", b"")
    r.do("A", "set_acl", b + "/acl", [jute.ACL(jute.PERM_READ | jute.PERM_ADMIN, "world", "anyone")], 0)
    r.do("A", "set_acl", b + "/acl", jute.OPEN_ACL_UNSAFE, 0)
    r.do("A", "get_acl", b + "/acl")
    # ephemerals and session close
    r.do("C", "create", b + "/e1", b"", jute.OPEN_ACL_UNSAFE, jute.EPHEMERAL)
    r.do("C", "create", b + "/e2-", b"", jute.OPEN_ACL_UNSAFE, jute.EPHEMERAL_SEQUENTIAL)
    r.do("C", "get_ephemerals", "/")
    r.do("A", "get_ephemerals", "/")
    r.do("A", "exists", b + "/e1", True)
    r.do("A", "get_children", b, True)
    r.do("A", "get_data", b + "/e1")
    r.close("C")
    r.do("A", "exists", b + "/e1")
    r.do("A", "get_children2", b)
    r.do("B", "add_auth", "nosuchscheme", "x")


def sc_bad_requests(r):
    r.session("A")
    r.session("B")
    r.raw("A", jute.OP["create"], b"")
    r.raw("A", jute.OP["getData"], b"\x00\x00\x00\x10/a")
    r.do("A", "exists", "/")
    r.raw("B", 999, b"")
    r.do("A", "ping")


def make_random_scenario(seed, steps=250, rich=False):
    """A seeded random mix of reads, writes, multis and watches over a small path
    universe, so that errors (NoNode, NodeExists, NotEmpty, BadVersion...) are frequent."""
    import random

    def scenario(r):
        rnd = random.Random(seed)
        r.session("A")
        r.session("B")
        root = "/rnd"
        r.do("A", "create", root)
        paths = [root + "/" + a for a in "abc"] + [root + "/" + a + "/" + b for a in "abc" for b in "xy"]
        for _ in range(steps):
            who = rnd.choice("AAB")
            p = rnd.choice(paths)
            k = rnd.random()
            if k < 0.20:
                flags = rnd.choice([jute.PERSISTENT, jute.PERSISTENT, jute.EPHEMERAL, jute.PERSISTENT_SEQUENTIAL])
                r.do(who, "create", p, b"d%d" % rnd.randrange(100), jute.OPEN_ACL_UNSAFE, flags)
            elif k < 0.32:
                r.do(who, "delete", p, rnd.choice([-1, -1, 0, 1]))
            elif k < 0.44:
                r.do(who, "set_data", p, b"v%d" % rnd.randrange(100), rnd.choice([-1, -1, 0, 1, 2]))
            elif k < 0.54:
                r.do(who, "get_data", p, rnd.random() < 0.5)
            elif k < 0.62:
                r.do(who, "exists", p, rnd.random() < 0.5)
            elif k < 0.70:
                r.do(who, "get_children2", rnd.choice([root] + paths[:3]), rnd.random() < 0.5)
            elif k < 0.80:
                ops = []
                for _ in range(rnd.randrange(1, 4)):
                    q = rnd.choice(paths)
                    ops.append(rnd.choice([
                        jute.op_create(q, b"m"), jute.op_delete(q), jute.op_set(q, b"s", rnd.choice([-1, 0])),
                        jute.op_check(q, rnd.choice([-1, 0, 1]))]))
                r.do(who, "multi", ops)
            elif k < 0.85:
                r.do(who, "add_watch", rnd.choice([root] + paths[:3]),
                     rnd.choice([jute.ADD_WATCH_PERSISTENT, jute.ADD_WATCH_PERSISTENT_RECURSIVE]))
            elif k < 0.90:
                r.do(who, "remove_watches", p, rnd.choice([jute.WATCHER_DATA, jute.WATCHER_CHILDREN, jute.WATCHER_ANY]))
            elif k < 0.95:
                r.do(who, "get_all_children_number", rnd.choice([root] + paths[:3]))
            elif k < 0.97 or not rich:
                r.do(who, "get_ephemerals", root)
            else:
                rich_step(r, rnd, root, paths)
        r.do("A", "get_children2", root)

    def rich_step(r, rnd, root, paths):
        p = rnd.choice(paths)
        k = rnd.random()
        if k < 0.15:
            # session C comes and goes, taking its ephemerals with it
            if "C" in r.clients:
                r.close("C")
            else:
                r.session("C", timeout_ms=30000)
                r.do("C", "create", p, b"c", jute.OPEN_ACL_UNSAFE, jute.EPHEMERAL)
        elif k < 0.25:
            r.do("A", "add_auth", "digest", "alice:pw")
        elif k < 0.45:
            acl = rnd.choice([jute.CREATOR_ALL_ACL, jute.READ_ACL_UNSAFE, jute.OPEN_ACL_UNSAFE,
                              [jute.ACL(jute.PERM_CREATE | jute.PERM_READ, "world", "anyone")]])
            r.do(rnd.choice("AB"), "create", p, b"acl", acl)
        elif k < 0.60:
            acl = rnd.choice([jute.READ_ACL_UNSAFE, jute.OPEN_ACL_UNSAFE, jute.CREATOR_ALL_ACL])
            r.do(rnd.choice("AB"), "set_acl", p, acl, rnd.choice([-1, 0, 1]))
        elif k < 0.70:
            r.do(rnd.choice("AB"), "get_acl", p)
        elif k < 0.85:
            r.do(rnd.choice("AB"), "multi_read", [jute.op_get_data(p), jute.op_get_children(rnd.choice(paths[:3]))])
        else:
            r.do(rnd.choice("AB"), "check_watches", p, rnd.choice([jute.WATCHER_DATA, jute.WATCHER_CHILDREN]))
    return scenario


SCENARIOS = {"crud": sc_crud, "multi": sc_multi, "watches": sc_watches, "null_data": sc_null_data,
             "acl_and_sessions": sc_acl_and_sessions, "bad_requests": sc_bad_requests,
             "random-1": make_random_scenario(1), "random-2": make_random_scenario(2),
             "random-3": make_random_scenario(3),
             "random-rich-1": make_random_scenario(11, rich=True), "random-rich-2": make_random_scenario(12, rich=True)}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_differential(servers, name):
    run_both(servers, SCENARIOS[name])
