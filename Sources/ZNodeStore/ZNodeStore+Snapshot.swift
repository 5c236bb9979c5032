import ZooKeeperWire

/// Deterministic snapshots of the replicated state (tree, sessions, lastZxid; not
/// watches). The encoding depends only on the logical state: sessions by id, nodes in
/// depth-first order with children sorted by name bytes, ACL lists numbered by first
/// use. So the same log gives the same bytes on every replica, and a round trip is
/// byte-identical.
///
/// Layout (big-endian): "TUSKSNAP", u32 version, i64 lastZxid, u32 #sessions × (i64 id,
/// i32 timeout), u32 #acl lists × (u32 n × (i32 perms, str scheme, str id)), then the
/// root node and its subtree in preorder: [str name unless root] i64 czxid mzxid pzxid
/// ctime mtime ephemeralOwner, i32 version cversion aversion, u32 acl#, bytes data,
/// u32 #children. Strings and bytes are u32 length + bytes.
/// Version 2 (null znode data): a data length of 0xFFFFFFFF is null data. Version 1
/// snapshots (which cannot hold null data) still load.
extension ZNodeStore {
    static let snapshotMagic = Array("TUSKSNAP".utf8)
    static let snapshotVersion: UInt32 = 2

    public func serializeSnapshot() -> [UInt8] {
        var aclNumbers: [Int32: UInt32] = [:]
        var aclOrder: [Int32] = []
        var nodes = SnapshotWriter()
        // ~70 bytes of stat and lengths per node besides its name and data.
        nodes.out.reserveCapacity(nodeCount * 80 + approximateDataSize)
        var stack: [(node: ZNode, name: NodeName?)] = [(root, nil)]
        while let (n, name) = stack.popLast() {
            if let name { nodes.string(name.string) }
            let number: UInt32
            if let k = aclNumbers[n.aclIndex] { number = k } else {
                number = UInt32(aclOrder.count)
                aclNumbers[n.aclIndex] = number
                aclOrder.append(n.aclIndex)
            }
            nodes.i64(n.czxid); nodes.i64(n.mzxid); nodes.i64(n.pzxid)
            nodes.i64(n.ctime); nodes.i64(n.mtime); nodes.i64(n.ephemeralOwner)
            nodes.i32(n.version); nodes.i32(n.cversion); nodes.i32(n.aversion)
            nodes.u32(number)
            nodes.optionalBytes(n.data)
            nodes.u32(UInt32(n.children.count))
            switch n.children.count {
            case 0: break
            case 1: stack.append((n.children.first!.value, n.children.first!.key))
            default:
                for (childName, child) in NodeName.sorted(n.children).reversed() { stack.append((child, childName)) }
            }
        }
        var w = SnapshotWriter()
        w.out += ZNodeStore.snapshotMagic
        w.u32(ZNodeStore.snapshotVersion)
        w.i64(lastZxid)
        w.u32(UInt32(sessionTimeouts.count))
        for (id, timeout) in sessionTimeouts.sorted(by: { $0.key < $1.key }) {
            w.i64(id)
            w.i32(timeout)
        }
        w.u32(UInt32(aclOrder.count))
        for index in aclOrder {
            let list = acls[index]
            w.u32(UInt32(list.count))
            for a in list {
                w.i32(a.perms.rawValue)
                w.string(a.id.scheme)
                w.string(a.id.id)
            }
        }
        w.out += nodes.out
        return w.out
    }

    public static func deserialize(_ bytes: [UInt8], config: ZNodeStoreConfig) throws -> ZNodeStore {
        var r = SnapshotReader(buffer: bytes)
        guard try r.raw(snapshotMagic.count) == snapshotMagic else { throw SnapshotError.badMagic }
        let version = try r.u32()
        guard version == 1 || version == snapshotVersion else { throw SnapshotError.unsupportedVersion(version) }
        let nullableData = version >= 2
        let lastZxid = try r.i64()
        var sessions: [Int64: Int32] = [:]
        for _ in 0..<(try r.u32()) {
            let id = try r.i64()
            sessions[id] = try r.i32()
        }
        var aclLists: [[ACL]] = []
        for _ in 0..<(try r.u32()) {
            var list: [ACL] = []
            for _ in 0..<(try r.u32()) {
                let perms = try r.i32()
                let scheme = try r.string()
                list.append(ACL(perms: Permissions(rawValue: perms), id: Id(scheme: scheme, id: try r.string())))
            }
            aclLists.append(list)
        }
        func readNode(_ store: ZNodeStore?) throws -> (ZNode, UInt32) {
            let czxid = try r.i64(), mzxid = try r.i64(), pzxid = try r.i64()
            let ctime = try r.i64(), mtime = try r.i64(), owner = try r.i64()
            let version = try r.i32(), cversion = try r.i32(), aversion = try r.i32()
            let aclNumber = Int(try r.u32())
            guard aclNumber < aclLists.count else { throw SnapshotError.corrupt("acl reference \(aclNumber)") }
            let data = nullableData ? try r.optionalBytes() : try r.bytes()
            let n = ZNode(data: data, aclIndex: 0, zxid: czxid, time: ctime, ephemeralOwner: owner)
            n.mzxid = mzxid; n.pzxid = pzxid; n.mtime = mtime
            n.version = version; n.cversion = cversion; n.aversion = aversion
            if let store { n.aclIndex = store.acls.retain(aclLists[aclNumber]) }
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
        var stack: [(node: ZNode, path: String, remaining: UInt32)] = []
        if rootChildren > 0 {
            root.children.reserveCapacity(Int(rootChildren))
            stack.append((root, "", rootChildren))
        }
        while !stack.isEmpty {
            let top = stack.count - 1
            if stack[top].remaining == 0 { stack.removeLast(); continue }
            stack[top].remaining -= 1
            let name = try r.string()
            let (child, childCount) = try readNode(store)
            guard stack[top].node.children.updateValue(child, forKey: NodeName(name)) == nil else {
                throw SnapshotError.corrupt("duplicate child \(stack[top].path)/\(name)")
            }
            // Most nodes are leaves of no special kind: count them without building a path.
            if childCount == 0, store.kind(of: child) == .void {
                store.nodeCount += 1
                store.approximateDataSize += stack[top].path.utf8.count + 1 + name.utf8.count + child.dataSize
                continue
            }
            let path = stack[top].path + "/" + name
            store.attach(child, path: path)
            if childCount > 0 {
                child.children.reserveCapacity(Int(childCount))
                stack.append((child, path, childCount))
            }
        }
        guard r.atEnd else { throw SnapshotError.corrupt("trailing bytes") }
        store.rebuildQuotaPaths()
        return store
    }
}

struct SnapshotWriter {
    var out: [UInt8] = []
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
    /// Null data as length 0xFFFFFFFF (snapshot version 2).
    mutating func optionalBytes(_ b: [UInt8]?) {
        if let b { bytes(b) } else { u32(UInt32.max) }
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
