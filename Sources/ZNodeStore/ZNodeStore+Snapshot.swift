import CTuskShims
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZooKeeperWire

/// Snapshots of the replicated state (tree, sessions, lastZxid; not watches). A canonical
/// snapshot depends only on the logical state: sessions by id, nodes in depth-first order
/// with children sorted by name bytes, ACL lists numbered by first use. So the same log
/// gives the same bytes on every replica, and a round trip is byte-identical (tests
/// compare states this way). The server writes its snapshot files non-canonical: children
/// in dictionary order, which restores to the same state without sorting anything.
///
/// Layout (big-endian): "TUSKSNAP", u32 version, i64 lastZxid, u32 #sessions × (i64 id,
/// i32 timeout, i32 owner server (version ≥ 3; 0 = unknown)), u32 #acl lists × (u32 n ×
/// (i32 perms, str scheme, str id)) (before version 4), then the
/// root node and its subtree in preorder: [str name unless root] i64 czxid mzxid pzxid
/// ctime mtime ephemeralOwner, i32 version cversion aversion, u32 acl#, bytes data,
/// u32 #children. Strings and bytes are u32 length + bytes.
/// Version 2 (null znode data): a data length of 0xFFFFFFFF is null data. Version 1
/// snapshots (which cannot hold null data) still load.
/// Version 3 (session moved): each session also carries its owner server.
/// Version 4 (streamed): no ACL table after the sessions; a node whose ACL number is the
/// next unused one (first use) is followed by that list right after the number. Siblings
/// may come in any order (the server writes them in dictionary order).
extension ZNodeStore {
    static let snapshotMagic = Array("TUSKSNAP".utf8)
    static let snapshotVersion: UInt32 = 4

    /// The whole snapshot at once (tests, tools, and logs without a background writer).
    public func serializeSnapshot() -> [UInt8] {
        let builder = beginSnapshot()
        builder.backgroundSortThreshold = Int.max
        builder.reserve(approximateDataSize + nodeCount * 80)
        while !builder.step(maxNodes: Int.max) {}
        endSnapshot(builder)
        return builder.finish()
    }

    /// Starts an incremental snapshot of the current state. O(1) apart from copy-on-write
    /// captures: the tree is walked by `step` calls, between which txns may be applied;
    /// until `endSnapshot`, every primitive mutation first preserves the node's state as
    /// it was here, so the walk still sees exactly this state. One at a time.
    /// `canonical`: siblings in name order, so the same state gives the same bytes (see
    /// `SnapshotBuilder.canonical`).
    public func beginSnapshot(canonical: Bool = true) -> SnapshotBuilder {
        if let old = activeSnapshot { endSnapshot(old) }
        let b = SnapshotBuilder(root: root, lastZxid: lastZxid, sessions: sessionTimeouts, owners: sessionOwners,
                                acls: acls.lists, canonical: canonical)
        activeSnapshot = b
        return b
    }

    /// Stops preserving pre-images for `builder` (call when its walk is done or abandoned).
    public func endSnapshot(_ builder: SnapshotBuilder) {
        if activeSnapshot === builder { activeSnapshot = nil }
        builder.abandon()
    }

    /// Called by the primitive mutations before they change `node` (its fields or children).
    @inline(__always)
    func willMutate(_ node: ZNode) {
        if let b = activeSnapshot { b.preserve(node) }
    }

    public static func deserialize(_ bytes: [UInt8], config: ZNodeStoreConfig) throws -> ZNodeStore {
        var r = SnapshotReader(buffer: bytes)
        guard try r.raw(snapshotMagic.count) == snapshotMagic else { throw SnapshotError.badMagic }
        let version = try r.u32()
        guard (1...snapshotVersion).contains(version) else { throw SnapshotError.unsupportedVersion(version) }
        let nullableData = version >= 2
        let lastZxid = try r.i64()
        var sessions: [Int64: Int32] = [:]
        var owners: [Int64: Int32] = [:]
        for _ in 0..<(try r.u32()) {
            let id = try r.i64()
            sessions[id] = try r.i32()
            // Before version 3 there were no owners: unknown accepts writes from any server.
            if version >= 3 {
                let owner = try r.i32()
                if owner != 0 { owners[id] = owner }
            }
        }
        var aclLists: [[ACL]] = []
        // Each list's index in the store's ACL cache, -1 until a node uses it: the list is
        // hashed once, not per node.
        var aclIndexByNumber: [Int32] = []
        func readACLList() throws {
            var list: [ACL] = []
            for _ in 0..<(try r.u32()) {
                let perms = try r.i32()
                let scheme = try r.string()
                list.append(ACL(perms: Permissions(rawValue: perms), id: Id(scheme: scheme, id: try r.string())))
            }
            aclLists.append(list)
            aclIndexByNumber.append(-1)
        }
        let inlineACLs = version >= 4
        if !inlineACLs {
            for _ in 0..<(try r.u32()) { try readACLList() }
        }
        func readNode(_ store: ZNodeStore?) throws -> (ZNode, UInt32) {
            let czxid = try r.i64(), mzxid = try r.i64(), pzxid = try r.i64()
            let ctime = try r.i64(), mtime = try r.i64(), owner = try r.i64()
            let version = try r.i32(), cversion = try r.i32(), aversion = try r.i32()
            let aclNumber = Int(try r.u32())
            if inlineACLs && aclNumber == aclLists.count { try readACLList() }
            guard aclNumber < aclLists.count else { throw SnapshotError.corrupt("acl reference \(aclNumber)") }
            let data = nullableData ? try r.optionalBytes() : try r.bytes()
            let n = ZNode(data: data, aclIndex: 0, zxid: czxid, time: ctime, ephemeralOwner: owner)
            n.mzxid = mzxid; n.pzxid = pzxid; n.mtime = mtime
            n.version = version; n.cversion = cversion; n.aversion = aversion
            if let store {
                if aclIndexByNumber[aclNumber] >= 0 {
                    n.aclIndex = aclIndexByNumber[aclNumber]
                    store.acls.retain(index: n.aclIndex)
                } else {
                    n.aclIndex = store.acls.retain(aclLists[aclNumber])
                    aclIndexByNumber[aclNumber] = n.aclIndex
                }
            }
            return (n, try r.u32())
        }
        let store = ZNodeStore(config: config, root: ZNode(data: [], aclIndex: 0, zxid: 0, time: 0, ephemeralOwner: 0))
        let (rootNode, rootChildren) = try readNode(store)
        let root = store.root
        root.data = rootNode.data; root.aclIndex = rootNode.aclIndex
        root.czxid = rootNode.czxid; root.mzxid = rootNode.mzxid; root.pzxid = rootNode.pzxid
        root.ctime = rootNode.ctime; root.mtime = rootNode.mtime; root.ephemeralOwner = rootNode.ephemeralOwner
        root.version = rootNode.version; root.cversion = rootNode.cversion; root.aversion = rootNode.aversion
        store.approximateDataSize = root.dataSize
        store.lastZxid = lastZxid
        store.sessionTimeouts = sessions
        store.sessionOwners = owners
        // The node whose children are being read is held in locals (not re-read from the
        // stack for every child: each read was a retain/release pair); the stack holds its
        // ancestors with the children they still have to come.
        var stack: [(node: ZNode, path: String, remaining: UInt32)] = []
        var parent = root, parentPath = "", remaining = rootChildren
        if rootChildren > 0 { root.children.reserveCapacity(Int(rootChildren)) }
        var nodeCount = 0, dataSize = 0
        while true {
            if remaining == 0 {
                guard let up = stack.popLast() else { break }
                (parent, parentPath, remaining) = up
                continue
            }
            remaining -= 1
            let name = try r.string()
            let (child, childCount) = try readNode(store)
            guard parent.children.updateValue(child, forKey: NodeName(name)) == nil else {
                throw SnapshotError.corrupt("duplicate child \(parentPath)/\(name)")
            }
            // Most nodes are leaves of no special kind: count them without building a path.
            if childCount == 0, store.kind(of: child) == .void {
                nodeCount += 1
                dataSize += parentPath.utf8.count + 1 + name.utf8.count + child.dataSize
                continue
            }
            let path = parentPath + "/" + name
            store.attach(child, path: path)
            if childCount > 0 {
                child.children.reserveCapacity(Int(childCount))
                stack.append((parent, parentPath, remaining))
                (parent, parentPath, remaining) = (child, path, childCount)
            }
        }
        store.nodeCount += nodeCount
        store.approximateDataSize += dataSize
        guard r.atEnd else { throw SnapshotError.corrupt("trailing bytes") }
        store.rebuildQuotaPaths()
        return store
    }
}

/// An incremental snapshot (see `ZNodeStore.beginSnapshot`). `step` runs on the store's
/// thread; once the walk is done and `endSnapshot` was called, `finish` only touches
/// value-type captures and may run on any thread.
///
/// The bytes come out as one stream: the header is written at `beginSnapshot`, each node
/// as the walk reaches it (an ACL list inline where it is first used, version 4). With a
/// `sink` the stream is handed over in chunks of about `chunkSize` bytes while the walk
/// runs (the server writes them to the file meanwhile; no state-sized buffer is held);
/// without one it collects for `finish`.
public final class SnapshotBuilder: @unchecked Sendable {
    /// Siblings in name order (the same state gives the same bytes: tests and tools
    /// compare snapshots), or in the children dictionaries' own order (cheaper: nothing
    /// to sort; restores to the same state).
    public let canonical: Bool
    private let aclLists: [[ACL]]
    private var aclNumbers: [Int32: UInt32] = [:]
    private var lastAcl: (index: Int32, number: UInt32) = (-1, 0)
    private var out = SnapshotWriter()
    private var sink: (@Sendable (SnapshotChunk) -> Void)?
    private var chunkSize = Int.max
    /// Emptied chunk buffers handed back by the sink's consumer (`recycle`), reused so a
    /// chunk's pages are not faulted in afresh each time.
    private let pool = Mutex<[[UInt8]]>([])
    public private(set) var bytesWritten = 0
    /// The walk: for each open node, its children (sorted, or the dictionary and a position
    /// in it) and the next to write. `dict` owns the children, so `kids` holds them
    /// unretained: retaining each would write to every znode's header, a cache miss apiece
    /// on a big tree (perf: a fifth of a snapshot's CPU).
    private struct Frame {
        var kids: [SortedChild] = []
        var dict: [NodeName: ZNode] = [:]
        var next = 0
        var position: Dictionary<NodeName, ZNode>.Index
    }
    private var stack: [Frame] = []
    private var root: ZNode?
    /// A big child list being sorted off the loop (see `step`).
    private let sortLock = NSLockLike()
    private var sorting = false
    private var sorted: (dict: [NodeName: ZNode], kids: [SortedChild], order: ChildOrder)?
    /// Child lists at least this long are sorted on a background thread.
    public var backgroundSortThreshold = 4096
    private var sortQueue: DispatchQueue { DispatchQueue.global(qos: .utility) }
    /// Nodes changed since `beginSnapshot`, with a copy of their state at that point.
    private var preimages: [ObjectIdentifier: (live: ZNode, copy: ZNode)] = [:]
    /// A bit per hash of each preserved node's address: most nodes the walk meets were
    /// not preserved, and one bit test (the set stays in cache) skips the hash lookup.
    private var preservedBits = [UInt64](repeating: 0, count: 1 << 14)

    public private(set) var nodesWritten = 0
    /// Big child lists whose order an earlier snapshot sorted and this one reused.
    public private(set) var reusedSortedLists = 0
    public var preservedNodes: Int { preimages.count }
    public private(set) var isDone = false
    /// The store went away before the walk finished: the snapshot is incomplete.
    public private(set) var isAbandoned = false
    /// True while `step` waits for a background sort (call it again a little later).
    public var isWaiting: Bool { sortLock.withLock { sorting } }

    init(root: ZNode, lastZxid: Int64, sessions: [Int64: Int32], owners: [Int64: Int32], acls: [[ACL]], canonical: Bool) {
        self.aclLists = acls
        self.root = root
        self.canonical = canonical
        out.out.reserveCapacity(64 + sessions.count * 16)
        out.out += ZNodeStore.snapshotMagic
        out.u32(ZNodeStore.snapshotVersion)
        out.i64(lastZxid)
        out.u32(UInt32(sessions.count))
        for (id, timeout) in sessions.sorted(by: { $0.key < $1.key }) {
            out.i64(id)
            out.i32(timeout)
            out.i32(owners[id] ?? 0)
        }
    }

    /// Hands the stream to `sink` in chunks of about `chunkSize` bytes, from now on (call
    /// before the first `step`); the rest comes at `flush`. `sink` runs on the walking
    /// thread; its consumer may give each chunk back with `recycle`.
    public func stream(chunkSize: Int, to sink: @escaping @Sendable (SnapshotChunk) -> Void) {
        self.chunkSize = max(1, chunkSize)
        self.sink = sink
        out.spliceAtLeast = max(1, spliceAtLeast)
        out.out.reserveCapacity(self.chunkSize + 4096)
    }

    /// When streaming, node data at least this long is not copied into the chunk: the
    /// chunk keeps a reference to the node's (immutable) array, and the sink's consumer
    /// copies it once, straight to its file (`SnapshotChunk.spliced`). For 1 KiB nodes the
    /// copy into the chunk was ~10 % of the event loop's time on a big tree (perf, create
    /// 1 KiB on 2.2M znodes), and the file writer copies every byte again anyway. Set
    /// before `stream`.
    public var spliceAtLeast = 256

    /// A chunk the sink's consumer is done with (any thread); it must hold no other
    /// reference to the chunk's bytes, so the buffer is reused rather than copied.
    public func recycle(_ chunk: SnapshotChunk) {
        var c = chunk.bytes
        chunk.bytes = []
        chunk.spliced = []
        c.removeAll(keepingCapacity: true)
        pool.withLock { if $0.count < 4 { $0.append(c) } }
    }

    /// Sends what is left of the stream to the sink (after the walk is done).
    public func flush() {
        guard let sink, !out.out.isEmpty || !out.spliced.isEmpty else { return }
        bytesWritten += out.count
        sink(SnapshotChunk(out.out, spliced: out.spliced))
        out.out = []
        out.spliced = []
        out.splicedBytes = 0
    }

    /// Hands a full chunk to the sink (only called with one: `chunkSize` is unbounded
    /// without a sink, so the bytes collect in `out` for `finish`). A walk off the loop
    /// keeps it for its walker, who writes it outside the gate.
    private func endChunk() {
        guard let sink else { return }
        bytesWritten += out.count
        let chunk = SnapshotChunk(out.out, spliced: out.spliced)
        if gate != nil { readyChunks.append(chunk) } else { sink(chunk) }
        out.spliced = []
        out.splicedBytes = 0
        out.out = pool.withLock { $0.popLast() } ?? []
        if out.out.capacity < chunkSize { out.out.reserveCapacity(chunkSize + 4096) }
    }

    func preserve(_ n: ZNode) {
        assert(gate?.heldByLoop ?? true, "the tree changed outside the snapshot walk's gate")
        let key = ObjectIdentifier(n)
        guard !isDone, preimages[key] == nil else { return }
        let copy = ZNode(data: n.data, aclIndex: n.aclIndex, zxid: n.czxid, time: n.ctime, ephemeralOwner: n.ephemeralOwner)
        copy.mzxid = n.mzxid; copy.pzxid = n.pzxid; copy.mtime = n.mtime
        copy.version = n.version; copy.cversion = n.cversion; copy.aversion = n.aversion
        copy.children = n.children
        preimages[key] = (n, copy)
        let bit = Self.bit(of: key)
        preservedBits[bit >> 6] |= 1 << UInt64(bit & 63)
    }

    @inline(__always)
    private static func bit(of key: ObjectIdentifier) -> Int {
        // Objects are 16-byte aligned; 2^20 bits.
        Int(bitPattern: UInt(bitPattern: unsafeBitCast(key, to: Int.self)) >> 4) & ((1 << 20) - 1)
    }

    func reserve(_ bytes: Int) { if sink == nil { out.out.reserveCapacity(bytes) } }

    @inline(__always)
    private func image(_ live: ZNode) -> ZNode {
        if preimages.isEmpty { return live }
        let key = ObjectIdentifier(live)
        let bit = Self.bit(of: key)
        if preservedBits[bit >> 6] & (1 << UInt64(bit & 63)) == 0 { return live }
        return preimages[key]?.copy ?? live
    }

    /// Writes one node (not its children).
    private func write(_ n: ZNode, name: NodeName?) {
        if let name { out.string(name.string) }
        let acl: UInt32
        var firstUse = false
        if n.aclIndex == lastAcl.index {
            acl = lastAcl.number
        } else if let k = aclNumbers[n.aclIndex] {
            acl = k
            lastAcl = (n.aclIndex, k)
        } else {
            // First use: the number is the next one, and the list follows it.
            acl = UInt32(aclNumbers.count)
            aclNumbers[n.aclIndex] = acl
            lastAcl = (n.aclIndex, acl)
            firstUse = true
        }
        out.nodeFields(n, acl: acl)
        if firstUse {
            let list = aclLists[Int(n.aclIndex)]
            out.u32(UInt32(list.count))
            for a in list {
                out.i32(a.perms.rawValue)
                out.string(a.id.scheme)
                out.string(a.id.id)
            }
        }
        out.optionalBytes(n.data)
        out.u32(UInt32(n.children.count))
        nodesWritten += 1
        if out.count >= chunkSize { endChunk() }
    }

    /// Opens `n`'s children (as of the snapshot) for the walk: as they are, or sorted at
    /// once when few, else sorted on a background thread (a million-child node would take
    /// ~0.5 s to sort); false while that runs.
    private func open(_ n: ZNode) -> Bool {
        if n.children.isEmpty { return true }
        let children = n.children
        if !canonical {
            stack.append(Frame(dict: children, position: children.startIndex))
            return true
        }
        if children.count < backgroundSortThreshold {
            stack.append(Frame(kids: SortedChild.sorted(children), dict: children, position: children.endIndex))
            return true
        }
        // A big list unchanged since an earlier snapshot sorted it is not sorted again.
        if let kids = n.childOrder?.walk {
            reusedSortedLists += 1
            stack.append(Frame(kids: kids, dict: children, position: children.endIndex))
            return true
        }
        let order = n.ensuredChildOrder
        sortLock.withLock { sorting = true }
        // `children` is a copy-on-write value: the loop may keep mutating the live one.
        let box = UncheckedBox((children, order))
        sortQueue.async { [self] in
            let result = SortedChild.sorted(box.value.0)
            sortLock.withLock { sorted = (box.value.0, result, box.value.1); sorting = false }
        }
        return false
    }

    /// Writes up to `maxNodes` more nodes; true once the whole tree is written. Returns
    /// false early while a background sort runs (`isWaiting`).
    public func step(maxNodes: Int) -> Bool {
        if isDone { return true }
        // Both read at once: a sort finishing between two reads would look like no sort
        // at all, and its list would be walked later, in the wrong place.
        let (ready, waiting) = sortLock.withLock { () -> ((dict: [NodeName: ZNode], kids: [SortedChild], order: ChildOrder)?, Bool) in
            defer { sorted = nil }
            return (sorted, sorting)
        }
        if let ready {
            // Kept for the next snapshot, unless the children changed meanwhile (then
            // `order` is no longer the node's and goes away with this walk).
            ready.order.walk = ready.kids
            stack.append(Frame(kids: ready.kids, dict: ready.dict, position: ready.dict.endIndex))
        } else if waiting {
            return false
        }
        var budget = maxNodes
        if let r = root {
            root = nil
            budget -= 1
            if !visit(r, name: nil) { return false }
        }
        while budget > 0, !stack.isEmpty {
            let top = stack.count - 1
            if canonical {
                let i = stack[top].next
                let count = stack[top].kids.count
                if i == count {
                    finished(stack.removeLast())
                    continue
                }
                stack[top].next = i + 1
                // Fetch the nodes a few places ahead, and their data, so their cache
                // misses overlap the writing of this one.
                if i + 8 < count { stack[top].kids[i + 8].node._withUnsafeGuaranteedRef { tuskPrefetch($0) } }
                if i + 4 < count { stack[top].kids[i + 4].node._withUnsafeGuaranteedRef { tuskPrefetchData($0) } }
                budget -= 1
                let (name, node) = (stack[top].kids[i].name, stack[top].kids[i].node)
                // No retain: `stack[top].dict` owns the child (`open` may grow `stack`).
                if !node._withUnsafeGuaranteedRef({ visit($0, name: name) }) { return false }
            } else {
                let p = stack[top].position
                if p == stack[top].dict.endIndex {
                    finished(stack.removeLast())
                    continue
                }
                let (name, child) = stack[top].dict[p]
                stack[top].position = stack[top].dict.index(after: p)
                budget -= 1
                if !visit(child, name: name) { return false }
            }
        }
        if stack.isEmpty && root == nil { isDone = true }
        return isDone
    }

    /// Writes `live` as of the snapshot and opens its children; false while a sort of
    /// them runs in the background.
    private func visit(_ live: ZNode, name: NodeName?) -> Bool {
        let n = image(live)
        write(n, name: name)
        return open(n)
    }

    private func finished(_ frame: Frame) {
        if (canonical ? frame.kids.count : frame.dict.count) >= backgroundSortThreshold {
            // Freeing a million-entry list takes tens of ms: do it off the loop.
            let box = UncheckedBox(frame)
            sortQueue.async { withExtendedLifetime(box) {} }
        }
    }

    func abandon() {
        excludingWalk {
            if !stack.isEmpty || root != nil || isWaiting { isAbandoned = true }
            releaseTree()
        }
    }

    // MARK: walking off the loop

    /// Set by `moveWalkOffLoop`: the walk runs on another thread (`walk(writing:)`).
    public private(set) var gate: SnapshotWalkGate?
    /// Full chunks of a walk off the loop, for its walker to write outside the gate.
    private var readyChunks: [SnapshotChunk] = []

    /// From now on the walk runs on another thread, in `walk(writing:)`, and the store's
    /// thread changes the tree only inside `excludingWalk`. Call on the store's thread,
    /// after `stream` and before the walker starts.
    public func moveWalkOffLoop() {
        precondition(sink != nil, "a walk off the loop streams its chunks")
        if gate == nil { gate = SnapshotWalkGate() }
    }

    /// Runs `body` (on the store's thread) with the walker kept out; just runs it for a
    /// walk on the loop.
    public func excludingWalk<T>(_ body: () throws -> T) rethrows -> T {
        guard let gate else { return try body() }
        return try gate.loopHolding(body)
    }

    /// The walk off the loop (after `moveWalkOffLoop`), on the calling thread: steps of
    /// `stepNodes` nodes while the store's thread neither holds nor wants the gate, for at
    /// most `sliceNs` at a time; each full chunk goes to `write` outside the gate. Returns
    /// true once the whole tree is written, false if the walk was abandoned.
    public func walk(stepNodes: Int = 32, sliceNs: UInt64 = 200_000, writing write: (SnapshotChunk) -> Void) -> Bool {
        guard let gate else { preconditionFailure("walk(writing:) before moveWalkOffLoop()") }
        while true {
            let slice = gate.walkerHolding { () -> (done: Bool, abandoned: Bool, waiting: Bool, chunks: [SnapshotChunk]) in
                let start = DispatchTime.now().uptimeNanoseconds
                var done = false
                repeat {
                    done = step(maxNodes: stepNodes)
                } while !done && !isWaiting && !gate.loopWants && DispatchTime.now().uptimeNanoseconds - start < sliceNs
                let chunks = readyChunks
                readyChunks = []
                return (done, isAbandoned, isWaiting, chunks)
            }
            guard let slice else {
                // The store's thread has the gate (a batch of applies takes up to a few ms).
                usleep(50)
                continue
            }
            for chunk in slice.chunks { write(chunk) }
            if slice.done { return !slice.abandoned }
            if slice.waiting { usleep(1_000) }
        }
    }

    /// Drops the references into the live tree (the walk, the pre-images).
    func releaseTree() {
        isDone = true
        stack = []
        root = nil
        preimages = [:]
    }

    /// The snapshot bytes (without a sink).
    public func finish() -> [UInt8] { out.out }
}

/// Starts loading `n`'s two cache lines (a znode object is ~104 bytes).
@inline(__always)
func tuskPrefetch(_ n: ZNode) {
    let p = UnsafeRawPointer(Unmanaged.passUnretained(n).toOpaque())
    tusk_prefetch(p)
    tusk_prefetch(p + 64)
}

/// Starts loading the first bytes of `n`'s data, read through the field's raw bits: a
/// copy of the array would retain it, a write to the very line being fetched.
@inline(__always)
func tuskPrefetchData(_ n: ZNode) {
    let storage = withUnsafeMutablePointer(to: &n.data) { UnsafeRawPointer($0).load(as: UInt.self) }
    // nil data is a null word; an array's elements start 32 bytes into its storage.
    if storage != 0, let p = UnsafeRawPointer(bitPattern: storage) { tusk_prefetch(p + 32) }
}

/// A piece of a streamed snapshot (a class, so its consumer can hand the buffer back):
/// `bytes` with each of `spliced`'s arrays inserted at its offset into them (in order).
public final class SnapshotChunk: @unchecked Sendable {
    public var bytes: [UInt8]
    /// Node data referenced rather than copied: `data` goes before `bytes[at]`.
    public var spliced: [(at: Int, data: [UInt8])]
    public init(_ bytes: [UInt8], spliced: [(at: Int, data: [UInt8])] = []) {
        self.bytes = bytes
        self.spliced = spliced
    }

    /// The chunk's length in the stream.
    public var count: Int { spliced.reduce(bytes.count) { $0 + $1.data.count } }

    /// Calls `body` with the chunk's pieces, in stream order.
    public func forEachPiece(_ body: (UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes { own in
            var from = 0
            for (at, data) in spliced {
                if at > from { body(UnsafeRawBufferPointer(rebasing: own[from..<at])) }
                data.withUnsafeBytes { body($0) }
                from = at
            }
            if own.count > from { body(UnsafeRawBufferPointer(rebasing: own[from...])) }
        }
    }

    /// The chunk as one array (a copy).
    public var contents: [UInt8] {
        var all: [UInt8] = []
        all.reserveCapacity(count)
        forEachPiece { all.append(contentsOf: $0) }
        return all
    }
}

struct SnapshotWriter {
    var out: [UInt8] = []
    /// Data arrays written by reference (see `SnapshotChunk.spliced`), and their bytes.
    var spliced: [(at: Int, data: [UInt8])] = []
    var splicedBytes = 0
    /// Data at least this long is spliced (`Int.max`: never, everything lands in `out`).
    var spliceAtLeast = Int.max
    /// Bytes written, spliced ones included.
    var count: Int { out.count + splicedBytes }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) } }
    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    mutating func i64(_ v: Int64) { withUnsafeBytes(of: UInt64(bitPattern: v).bigEndian) { out.append(contentsOf: $0) } }
    mutating func bytes(_ b: [UInt8]) { u32(UInt32(b.count)); out.append(contentsOf: b) }
    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { u in
            u32(UInt32(u.count))
            out.append(contentsOf: u)
        }
    }
    /// A node's stat fields and ACL number, stored at once (one capacity check instead of
    /// ten appends).
    mutating func nodeFields(_ n: ZNode, acl: UInt32) {
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { b in
            b.storeBytes(of: UInt64(bitPattern: n.czxid).bigEndian, toByteOffset: 0, as: UInt64.self)
            b.storeBytes(of: UInt64(bitPattern: n.mzxid).bigEndian, toByteOffset: 8, as: UInt64.self)
            b.storeBytes(of: UInt64(bitPattern: n.pzxid).bigEndian, toByteOffset: 16, as: UInt64.self)
            b.storeBytes(of: UInt64(bitPattern: n.ctime).bigEndian, toByteOffset: 24, as: UInt64.self)
            b.storeBytes(of: UInt64(bitPattern: n.mtime).bigEndian, toByteOffset: 32, as: UInt64.self)
            b.storeBytes(of: UInt64(bitPattern: n.ephemeralOwner).bigEndian, toByteOffset: 40, as: UInt64.self)
            b.storeBytes(of: UInt32(bitPattern: n.version).bigEndian, toByteOffset: 48, as: UInt32.self)
            b.storeBytes(of: UInt32(bitPattern: n.cversion).bigEndian, toByteOffset: 52, as: UInt32.self)
            b.storeBytes(of: UInt32(bitPattern: n.aversion).bigEndian, toByteOffset: 56, as: UInt32.self)
            b.storeBytes(of: acl.bigEndian, toByteOffset: 60, as: UInt32.self)
            out.append(contentsOf: UnsafeRawBufferPointer(b))
        }
    }
    /// Null data as length 0xFFFFFFFF (snapshot version 2).
    mutating func optionalBytes(_ b: [UInt8]?) {
        guard let b else { u32(UInt32.max); return }
        if b.count >= spliceAtLeast {
            u32(UInt32(b.count))
            spliced.append((out.count, b))
            splicedBytes += b.count
        } else {
            bytes(b)
        }
    }
}

struct SnapshotReader {
    let buffer: [UInt8]
    var offset = 0
    var atEnd: Bool { offset == buffer.count }
    mutating func raw(_ n: Int) throws -> [UInt8] {
        guard n >= 0, buffer.count - offset >= n else { throw SnapshotError.truncated }
        defer { offset += n }
        return Array(buffer[offset..<offset + n])
    }
    mutating func u32() throws -> UInt32 {
        guard buffer.count - offset >= 4 else { throw SnapshotError.truncated }
        let v = buffer.withUnsafeBytes { UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
        offset += 4
        return v
    }
    mutating func i32() throws -> Int32 { Int32(bitPattern: try u32()) }
    mutating func i64() throws -> Int64 {
        guard buffer.count - offset >= 8 else { throw SnapshotError.truncated }
        let v = buffer.withUnsafeBytes { UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        offset += 8
        return Int64(bitPattern: v)
    }
    mutating func bytes() throws -> [UInt8] { try raw(Int(try u32())) }
    mutating func optionalBytes() throws -> [UInt8]? {
        let n = try u32()
        return n == UInt32.max ? nil : try raw(Int(n))
    }
    mutating func string() throws -> String {
        let n = Int(try u32())
        guard buffer.count - offset >= n else { throw SnapshotError.truncated }
        defer { offset += n }
        guard let s = String(validating: buffer[offset..<offset + n], as: UTF8.self) else {
            throw SnapshotError.corrupt("string is not UTF-8")
        }
        return s
    }
}

/// A tiny lock for the background-sort hand-off.
final class NSLockLike: @unchecked Sendable {
    private let m = Mutex(())
    func withLock<T>(_ body: () -> T) -> T { m.withLock { _ in body() } }
}

/// Hands a copy-on-write value to the background sort (only read there).
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
