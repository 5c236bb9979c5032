// The script that recorded ZooKeeperTrace+Seed*.swift on Apache ZooKeeper 3.8.0.
// Save the comment body as tests/integration/record_trace.py next to servers.py/jute.py and run
// `python3 record_trace.py <seed> <steps> > ZooKeeperTrace+Seed<seed>.swift` (it starts its own ZooKeeper).
/*
"""Records a random op trace on real ZooKeeper 3.8.0 and emits a Swift test replaying it."""
import base64, hashlib, os, random, sys
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from integration.servers import Server
from integration import jute
from integration.jute import ACL, OP

SEED = int(sys.argv[1]) if len(sys.argv) > 1 else 1
STEPS = int(sys.argv[2]) if len(sys.argv) > 2 else 400
rng = random.Random(SEED)
ALICE = "alice:" + base64.b64encode(hashlib.sha1(b"alice:secret").digest()).decode()
ACLS = [
    [ACL(31, "world", "anyone")],
    [ACL(1, "world", "anyone")],
    [ACL(31, "digest", ALICE)],
    [ACL(31, "ip", "127.0.0.1"), ACL(1, "world", "anyone")],
    [ACL(31, "ip", "10.0.0.0/8")],
    [ACL(31, "auth", "")],
    [ACL(1 | 4 | 8, "world", "anyone")],
]
SWIFT_ACLS = [
    "ACL.openUnsafe", "ACL.readUnsafe", "[ACL(perms: .all, id: Id(scheme: \"digest\", id: alice))]",
    "[ACL(perms: .all, id: Id(scheme: \"ip\", id: \"127.0.0.1\")), ACL(perms: .read, id: .anyone)]",
    "[ACL(perms: .all, id: Id(scheme: \"ip\", id: \"10.0.0.0/8\"))]", "ACL.creatorAll",
    "[ACL(perms: [.read, .create, .delete], id: .anyone)]",
]
PATHS = ["/t/a", "/t/b", "/t/a/x", "/t/a/y", "/t/b/x", "/t/a/x/1", "/t/s-", "/t/a/s-", "/t/c", "/t/c/k"]
BAD = ["/t/a/", "/t//x", "t/a"]

def path():
    return rng.choice(BAD) if rng.random() < 0.04 else rng.choice(PATHS)

def data():
    return bytes(rng.randrange(256) for _ in range(rng.randrange(4)))

def sw_bytes(b):
    return "[" + ", ".join(str(x) for x in b) + "]"

def version():
    return -1 if rng.random() < 0.5 else rng.randrange(3)

class Op:
    def __init__(self, kind, **kw):
        self.kind = kind; self.__dict__.update(kw)

def gen_write(in_multi):
    r = rng.random()
    if r < 0.35:
        flags = rng.choice([0, 0, 0, 1, 2, 3, 4] + ([] if in_multi else [7]))
        op = "create2" if rng.random() < 0.3 else "create"
        return Op(op, path=path(), data=data(), acl=rng.randrange(len(ACLS)) if rng.random() < 0.4 else 0, flags=flags)
    if r < 0.45:
        return Op("createContainer", path=path(), data=data(), acl=0, flags=rng.choice([0, 0, 2]))
    if r < 0.62:
        return Op("delete", path=path(), version=version())
    if r < 0.8:
        return Op("setData", path=path(), data=data(), version=version())
    if in_multi:
        return Op("check", path=path(), version=version())
    return Op("setACL", path=path(), acl=rng.randrange(len(ACLS)), version=version())

def gen_step():
    r = rng.random()
    if r < 0.04:
        return 3, Op(rng.choice(["checkWatches", "removeWatches"]), path=rng.choice(PATHS + ["/t"]), wtype=rng.choice([1, 2, 3]))
    if r < 0.06:
        return rng.choice([1, 2]), Op("getEphemerals", path=rng.choice(["/", "/t/a", "/t"]))
    if r < 0.09:
        return rng.choice([1, 2]), Op("multiRead", ops=[Op(rng.choice(["getData", "getChildren"]), path=path(), watch=False) for _ in range(rng.randrange(1, 4))])
    if r < 0.12:
        return rng.choice([1, 2]), Op("createTTL", path=path(), data=data(), acl=0, flags=rng.choice([5, 5, 6, 0]), ttl=rng.choice([1000, 60000, 0, 1 << 40]) )
    if r < 0.15:
        return 3, Op(rng.choice(["exists", "getData", "getChildren2"]), path=path(), watch=True)
    if r < 0.25:
        return rng.choice([1, 2]), Op(rng.choice(["exists", "getData", "getChildren2", "getACL", "getAllChildrenNumber"]), path=path(), watch=False)
    if r < 0.4:
        return rng.choice([1, 2]), Op("multi", ops=[gen_write(True) for _ in range(rng.randrange(1, 5))])
    return rng.choice([1, 2]), gen_write(False)

def body(op):
    if op.kind in ("create", "create2", "createContainer"):
        return jute.create_body(op.path, op.data, ACLS[op.acl], op.flags)
    if op.kind == "createTTL":
        return jute.create_body(op.path, op.data, ACLS[op.acl], op.flags, op.ttl)
    if op.kind in ("checkWatches", "removeWatches"):
        return jute.w_string(op.path) + jute.w_int(op.wtype)
    if op.kind == "getEphemerals":
        return jute.w_string(op.path)
    if op.kind == "getChildren":
        return jute.path_watch_body(op.path, False)
    if op.kind == "multiRead":
        return jute.multi_body([(OP[o.kind], body(o)) for o in op.ops])
    if op.kind in ("delete", "check"):
        return jute.path_version_body(op.path, op.version)
    if op.kind == "setData":
        return jute.set_data_body(op.path, op.data, op.version)
    if op.kind == "setACL":
        return jute.w_string(op.path) + jute.w_acls(ACLS[op.acl]) + jute.w_int(op.version)
    if op.kind in ("exists", "getData", "getChildren2"):
        return jute.path_watch_body(op.path, op.watch)
    if op.kind in ("getACL", "getAllChildrenNumber"):
        return jute.w_string(op.path)
    if op.kind == "multi":
        return jute.multi_body([(OP[o.kind], body(o)) for o in op.ops])
    raise ValueError(op.kind)

def swift(op):
    if op.kind == "createTTL":
        return '.createTTL(CreateRequest(path: "%s", data: %s, acl: %s, flags: %d, ttl: %d))' % (op.path, sw_bytes(op.data), SWIFT_ACLS[op.acl], op.flags, op.ttl)
    if op.kind in ("checkWatches", "removeWatches"):
        return '.%s(PathTypeRequest(path: "%s", type: %d))' % (op.kind, op.path, op.wtype)
    if op.kind == "getEphemerals":
        return '.getEphemerals(PathRecord(path: "%s"))' % op.path
    if op.kind == "getChildren":
        return '.getChildren(PathWatchRequest(path: "%s", watch: false))' % op.path
    if op.kind == "multiRead":
        return ".multiRead([" + ", ".join(swift(o) for o in op.ops) + "])"
    if op.kind in ("create", "create2", "createContainer"):
        return '.%s(CreateRequest(path: "%s", data: %s, acl: %s, flags: %d))' % (op.kind, op.path, sw_bytes(op.data), SWIFT_ACLS[op.acl], op.flags)
    if op.kind in ("delete", "check"):
        return '.%s(PathVersionRequest(path: "%s", version: %d))' % (op.kind, op.path, op.version)
    if op.kind == "setData":
        return '.setData(SetDataRequest(path: "%s", data: %s, version: %d))' % (op.path, sw_bytes(op.data), op.version)
    if op.kind == "setACL":
        return '.setACL(SetACLRequest(path: "%s", acl: %s, version: %d))' % (op.path, SWIFT_ACLS[op.acl], op.version)
    if op.kind in ("exists", "getData", "getChildren2"):
        return '.%s(PathWatchRequest(path: "%s", watch: %s))' % (op.kind, op.path, "true" if op.watch else "false")
    if op.kind in ("getACL", "getAllChildrenNumber"):
        return '.%s(PathRecord(path: "%s"))' % (op.kind, op.path)
    if op.kind == "multi":
        return ".multi([" + ", ".join(swift(o) for o in op.ops) + "])"

class Renderer:
    def __init__(self, z0, sessions):
        self.z0, self.sessions = z0, sessions
    def z(self, v):
        return str(v - self.z0) if v >= self.z0 else "-"
    def stat(self, s):
        owner = self.sessions.get(s.ephemeralOwner, str(s.ephemeralOwner))
        return "%s,%s,%s,%d,%d,%d,%s,%d,%d" % (self.z(s.czxid), self.z(s.mzxid), self.z(s.pzxid), s.version, s.cversion,
                                               s.aversion, owner, s.dataLength, s.numChildren)
    def reply(self, op, rep):
        if rep.err != 0:
            return "E%d" % rep.err
        r = jute.Reader(rep.body)
        k = op.kind
        if k == "create":
            return "C " + r.string()
        if k in ("checkWatches", "removeWatches"):
            return "OK"
        if k == "getEphemerals":
            return "P " + ",".join(sorted(r.strings()))
        if k == "multiRead":
            subs = []
            for typ, err, payload in jute.decode_multi(rep.body):
                if typ == -1:
                    subs.append("e%d" % payload)
                elif typ == OP["getData"]:
                    subs.append("g%s:%s" % ((payload[0] or b"").hex(), self.stat(payload[1])))
                else:
                    subs.append("h" + ",".join(sorted(payload)))
            return "R[" + ";".join(subs) + "]"
        if k in ("create2", "createContainer", "createTTL"):
            return "C2 %s %s" % (r.string(), self.stat(r.stat()))
        if k in ("setData", "setACL", "exists"):
            return "S " + self.stat(r.stat())
        if k == "delete":
            return "OK"
        if k == "getData":
            d = r.buffer() or b""
            return "D %s %s" % (d.hex(), self.stat(r.stat()))
        if k == "getChildren2":
            ch = sorted(r.strings())
            return "K %s %s" % (",".join(ch), self.stat(r.stat()))
        if k == "getACL":
            acls = r.acls()
            return "A %s %s" % (";".join("%d:%s:%s" % (a.perms, a.scheme, a.id) for a in acls), self.stat(r.stat()))
        if k == "getAllChildrenNumber":
            return "N %d" % r.int()
        if k == "multi":
            if not rep.body:
                return "M"
            subs = []
            for typ, err, payload in jute.decode_multi(rep.body):
                if typ == -1:
                    subs.append("e%d" % payload)
                elif typ == OP["create"]:
                    subs.append("c" + payload)
                elif typ in (OP["create2"], OP["createContainer"], OP["createTTL"]):
                    subs.append("c2%s:%s" % (payload[0], self.stat(payload[1])))
                elif typ == OP["delete"]:
                    subs.append("d")
                elif typ == OP["setData"]:
                    subs.append("s" + self.stat(payload))
                elif typ == OP["check"]:
                    subs.append("k")
            return "M[" + ";".join(subs) + "]"
        raise ValueError(k)

def main():
    srv = Server(kind="zookeeper", name="trace")
    srv.start()
    try:
        c1, c2, c3 = srv.jute(), srv.jute(), srv.jute()
        assert c2.add_auth("digest", "alice:secret").err == 0
        sessions = {c1.session_id: "s1", c2.session_id: "s2", c3.session_id: "s3"}
        rep = c1.create("/t")
        assert rep.err == 0
        render = Renderer(rep.zxid, sessions)
        assert c3.add_watch("/t/a", jute.ADD_WATCH_PERSISTENT_RECURSIVE).err == 0
        assert c3.add_watch("/t/b", jute.ADD_WATCH_PERSISTENT).err == 0
        clients = {1: c1, 2: c2, 3: c3}
        lines = []
        for _ in range(STEPS):
            cid, op = gen_step()
            rep = clients[cid].request(OP[op.kind], body(op))
            out = render.reply(op, rep)
            c3.events.clear() if cid != 3 else None
            flush = c3.request(OP["exists"], jute.path_watch_body("/t", False))
            evs = ["%d %s" % (e.type, e.path) for e in c3.take_events()]
            lines.append((cid, swift(op), out, evs))
        # closing client 1 deletes its ephemerals and fires watches
        c1.close()
        c3.request(OP["exists"], jute.path_watch_body("/t", False))
        close_events = ["%d %s" % (e.type, e.path) for e in c3.take_events()]
        final = c2.get_children2("/t")
    finally:
        srv.cleanup()
    emit(lines, sorted(close_events))

def esc(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')

def emit(lines, close_events):
    print("// Generated by a script that drives Apache ZooKeeper 3.8.0 (Debian zookeeper 3.8.0-11)")
    print("// with a seeded random op sequence (seed %d) and records its answers; do not edit." % SEED)
    print("import ZooKeeperWire")
    print("")
    print("extension ZooKeeperTrace {")
    print("    static let seed%d: [TraceStep] = [" % SEED)
    for cid, op, out, evs in lines:
        print('        TraceStep(%d, %s, "%s", [%s]),' % (cid, op, esc(out), ", ".join('"%s"' % esc(e) for e in evs)))
    print("    ]")
    print("    static let seed%dCloseEvents: [String] = [%s]" % (SEED, ", ".join('"%s"' % esc(e) for e in close_events)))
    print("}")

main()
*/
