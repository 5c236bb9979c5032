// tusk-microbench: timings of the hot pure parts (jute codec, znode tree), run by
// scripts/microbench — a benchmark, not a test. Each case runs `--repeats` times
// (default 5) and reports the median ns/op; one JSON line per case with --json.
import Foundation
import NIOCore
import ZNodeStore
import ZooKeeperWire

struct Options {
    var repeats = 5
    var scale = 1.0
    var filter: String?
    var json = false

    init(_ args: [String]) {
        var i = 1
        func value() -> String {
            i += 1
            guard i < args.count else { fail("\(args[i - 1]) needs a value") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--repeats": repeats = max(1, Int(value()) ?? 5)
            case "--scale": scale = Double(value()) ?? 1
            case "--filter": filter = value()
            case "--json": json = true
            case "--quick": repeats = 3; scale = 0.2
            case "-h", "--help":
                print("usage: tusk-microbench [--filter SUBSTRING] [--repeats N] [--scale F] [--quick] [--json]")
                exit(0)
            default: fail("unknown option \(args[i]) (try --help)")
            }
            i += 1
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("tusk-microbench: \(message)\n".utf8))
    exit(2)
}

let options = Options(CommandLine.arguments)
/// Folded into every case's result so the optimiser cannot drop the work.
nonisolated(unsafe) var sink = 0

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Runs `body(n)` (which must do `n` operations) `repeats` times after one warm-up pass
/// and prints the median, the fastest and the slowest per-op time.
func bench(_ name: String, ops: Int, _ body: (Int) -> Void) {
    if let f = options.filter, !name.contains(f) { return }
    let n = max(1, Int(Double(ops) * options.scale))
    body(max(1, n / 10))
    var perOp: [Double] = []
    for _ in 0..<options.repeats {
        let t0 = now()
        body(n)
        perOp.append(Double(now() - t0) / Double(n))
    }
    perOp.sort()
    let median = perOp[perOp.count / 2]
    if options.json {
        print(#"{"case":"\#(name)","ops":\#(n),"repeats":\#(options.repeats),"ns_per_op_median":\#(String(format: "%.1f", median)),"ns_per_op_min":\#(String(format: "%.1f", perOp.first!)),"ns_per_op_max":\#(String(format: "%.1f", perOp.last!))}"#)
    } else {
        let pad = name.padding(toLength: 34, withPad: " ", startingAt: 0)
        print("\(pad) \(String(format: "%10.1f", median)) ns/op  \(String(format: "%12.0f", 1e9 / median)) ops/s   (min \(String(format: "%.1f", perOp.first!)), max \(String(format: "%.1f", perOp.last!)))")
    }
    fflush(nil)
}

// MARK: - Jute codec

let allocator = ByteBufferAllocator()
let payload100 = [UInt8](repeating: 0x61, count: 100)
let sampleStat = Stat(czxid: 0x1_0000_0010, mzxid: 0x1_0000_0020, ctime: 1_764_000_000_000, mtime: 1_764_000_000_500,
                      version: 3, cversion: 0, aversion: 0, ephemeralOwner: 0, dataLength: 100, numChildren: 0,
                      pzxid: 0x1_0000_0010)

func requestFrame(_ request: ZooKeeperRequest) -> ByteBuffer {
    var b = allocator.buffer(capacity: 256)
    b.writeRequestFrame(xid: 42, request)
    return b
}

/// Decodes one framed request as the server does: length prefix, header, body.
func decodeFrames(_ frame: ByteBuffer, _ n: Int) {
    for _ in 0..<n {
        var b = frame
        guard var body = try? Framing.readFrame(from: &b, maxFrameLength: 1 << 20),
              let header = try? RequestHeader(jute: &body),
              let op = OpCode(rawValue: header.type),
              let r = try? ZooKeeperRequest.decode(op: op, from: &body) else { fail("decode failed") }
        sink &+= Int(header.xid) &+ (r.opCode == op ? 1 : 0)
    }
}

let getDataFrame = requestFrame(.getData(PathWatchRequest(path: "/zkbench/keys/k12345", watch: false)))
let setDataFrame = requestFrame(.setData(SetDataRequest(path: "/zkbench/keys/k12345", data: payload100, version: -1)))
let createFrame = requestFrame(.create(CreateRequest(path: "/zkbench/c-1/n0000001234", data: payload100)))
bench("jute.decode getData request", ops: 2_000_000) { decodeFrames(getDataFrame, $0) }
bench("jute.decode setData 100B request", ops: 2_000_000) { decodeFrames(setDataFrame, $0) }
bench("jute.decode create 100B request", ops: 1_000_000) { decodeFrames(createFrame, $0) }

func encodeReplies(_ response: ZooKeeperResponse, _ n: Int) {
    var b = allocator.buffer(capacity: 64 * 1024)
    for i in 0..<n {
        if b.writerIndex > 60 * 1024 { sink &+= b.readableBytes; b.clear() }
        b.writeReplyFrame(ReplyHeader(xid: Int32(truncatingIfNeeded: i), zxid: 0x1_0000_0020, err: 0), response)
    }
    sink &+= b.readableBytes
}

bench("jute.encode getData 100B reply", ops: 2_000_000) { encodeReplies(.getData(data: payload100, stat: sampleStat), $0) }
bench("jute.encode stat reply", ops: 2_000_000) { encodeReplies(.stat(sampleStat), $0) }
let children1000 = (0..<1000).map { "child-\($0)" }
bench("jute.encode 1000 children reply", ops: 20_000) { encodeReplies(.children(children1000), $0) }

// MARK: - Znode tree

let open = AuthContext()

func makeStore(keys: Int) -> ZNodeStore {
    let store = ZNodeStore()
    var zxid: Int64 = 0x1_0000_0000
    func create(_ path: String, _ data: [UInt8]) {
        zxid += 1
        let r = store.apply(Txn(sessionId: 1, zxid: zxid, time: 1, kind: .request(.create(CreateRequest(path: path, data: data)), auth: open)))
        guard r.error == .ok else { fail("create \(path): \(r.error)") }
    }
    create("/zkbench", [])
    create("/zkbench/keys", [])
    for i in 0..<keys { create("/zkbench/keys/k\(i)", payload100) }
    return store
}

let keyCount = max(1000, Int(100_000 * options.scale))
let store = makeStore(keys: keyCount)
let keyPaths = (0..<keyCount).map { "/zkbench/keys/k\($0)" }
let lookupOrder = (0..<keyCount).map { _ in Int.random(in: 0..<keyCount) }

bench("tree.create 100B (fresh parent)", ops: 200_000) { n in
    let s = ZNodeStore()
    _ = s.apply(Txn(sessionId: 1, zxid: 1, time: 1, kind: .request(.create(CreateRequest(path: "/p")), auth: open)))
    for i in 0..<n {
        let r = s.apply(Txn(sessionId: 1, zxid: Int64(i + 2), time: 1, kind: .request(.create(CreateRequest(path: "/p/n\(i)", data: payload100)), auth: open)))
        sink &+= r.error == .ok ? 1 : 0
    }
}
bench("tree.getData (100k keys)", ops: 1_000_000) { n in
    for i in 0..<n {
        let r = store.read(.getData(PathWatchRequest(path: keyPaths[lookupOrder[i % keyCount]], watch: false)), sessionId: 7, auth: open)
        sink &+= r.error == .ok ? 1 : 0
    }
}
bench("tree.exists (100k keys)", ops: 1_000_000) { n in
    for i in 0..<n {
        let r = store.read(.exists(PathWatchRequest(path: keyPaths[lookupOrder[i % keyCount]], watch: false)), sessionId: 7, auth: open)
        sink &+= r.error == .ok ? 1 : 0
    }
}
var setZxid: Int64 = 0x2_0000_0000
bench("tree.setData 100B (100k keys)", ops: 500_000) { n in
    for i in 0..<n {
        setZxid += 1
        let req = ZooKeeperRequest.setData(SetDataRequest(path: keyPaths[lookupOrder[i % keyCount]], data: payload100, version: -1))
        let r = store.apply(Txn(sessionId: 1, zxid: setZxid, time: 2, kind: .request(req, auth: open)))
        sink &+= r.error == .ok ? 1 : 0
    }
}
let wide = makeStore(keys: 1000)
bench("tree.getChildren (1000 children)", ops: 50_000) { n in
    for _ in 0..<n {
        let r = wide.read(.getChildren(PathWatchRequest(path: "/zkbench/keys", watch: false)), sessionId: 7, auth: open)
        sink &+= r.error == .ok ? 1 : 0
    }
}
bench("tree.getData + watch + setData fire", ops: 200_000) { n in
    for i in 0..<n {
        let path = keyPaths[lookupOrder[i % keyCount]]
        _ = store.read(.getData(PathWatchRequest(path: path, watch: true)), sessionId: 7, auth: open)
        setZxid += 1
        _ = store.apply(Txn(sessionId: 1, zxid: setZxid, time: 3, kind: .request(.setData(SetDataRequest(path: path, data: payload100)), auth: open)))
        sink &+= store.drainNotifications().count
    }
}

// Snapshots: whole-tree serialization and restore, per znode.
var snapshotBytes: [UInt8] = []
bench("snapshot.serialize (per znode)", ops: keyCount) { n in
    // One pass over the 100k-key tree is `keyCount` znodes; scale n to passes.
    for _ in 0..<max(1, n / keyCount) { snapshotBytes = store.serializeSnapshot(); sink &+= snapshotBytes.count }
}
if snapshotBytes.isEmpty { snapshotBytes = store.serializeSnapshot() }
bench("snapshot.deserialize (per znode)", ops: keyCount) { n in
    for _ in 0..<max(1, n / keyCount) {
        guard let s = try? ZNodeStore.deserialize(snapshotBytes, config: ZNodeStoreConfig()) else { fail("deserialize failed") }
        sink &+= s.zooKeeperNodeCount
    }
}

if !options.json { print("(checksum \(sink & 0xffff); medians of \(options.repeats) runs; tree of \(keyCount) keys of 100 B)") }
