import ZooKeeperWire

/// A child name compared and hashed by its UTF-8 bytes (ZooKeeper compares Java strings
/// code unit by code unit; Swift's `==` would merge canonically-equivalent names).
struct NodeName: Hashable, Comparable {
    var string: String
    init(_ string: String) { self.string = string }

    static func == (a: NodeName, b: NodeName) -> Bool { a.string.utf8.elementsEqual(b.string.utf8) }
    static func < (a: NodeName, b: NodeName) -> Bool { a.string.utf8.lexicographicallyPrecedes(b.string.utf8) }
    func hash(into hasher: inout Hasher) {
        var s = string
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension NodeName {
    /// The first 16 bytes as two big-endian words, zero-padded (names hold no NUL), so
    /// most comparisons of a sort are two integer compares instead of a walk over UTF-8.
    var sortPrefix: (UInt64, UInt64) {
        var s = string
        return s.withUTF8 { u in
            var hi: UInt64 = 0, lo: UInt64 = 0
            for i in 0..<min(8, u.count) { hi |= UInt64(u[i]) << UInt64(56 - 8 * i) }
            if u.count > 8 { for i in 8..<min(16, u.count) { lo |= UInt64(u[i]) << UInt64(56 - 8 * (i - 8)) } }
            return (hi, lo)
        }
    }
}

/// A child in name order: its name and an unretained reference (whoever holds the list
/// also holds the dictionary that owns the child: a snapshot walk's frame).
struct SortedChild {
    var name: NodeName
    var node: Unmanaged<ZNode>

    /// `children` in name-byte order (snapshots, getChildren), without touching the nodes
    /// themselves.
    static func sorted(_ children: [NodeName: ZNode]) -> [SortedChild] {
        var keyed: [(prefix: (UInt64, UInt64), child: SortedChild)] = []
        keyed.reserveCapacity(children.count)
        var i = children.startIndex
        while i != children.endIndex {
            let name = children.keys[i]
            keyed.append((name.sortPrefix, SortedChild(name: name, node: Unmanaged.passUnretained(children.values[i]))))
            i = children.index(after: i)
        }
        keyed.sort { a, b in
            if a.prefix.0 != b.prefix.0 { return a.prefix.0 < b.prefix.0 }
            if a.prefix.1 != b.prefix.1 { return a.prefix.1 < b.prefix.1 }
            return a.child.name < b.child.name
        }
        return keyed.map(\.child)
    }
}

/// One znode: its persisted stat (ZooKeeper's `StatPersisted`), data, ACL reference and children.
/// The node's own name lives only as the key in its parent's `children`.
final class ZNode {
    /// nil is ZooKeeper's null data (created or set with a -1 buffer): getData answers -1,
    /// the stat's dataLength is 0.
    var data: [UInt8]?
    /// Any change of the children drops the sorted views of them (`childOrder`).
    var children: [NodeName: ZNode] = [:] { didSet { childOrder = nil } }
    var czxid: Int64
    var mzxid: Int64
    var pzxid: Int64
    var ctime: Int64
    var mtime: Int64
    /// Raw owner: a session id, `containerOwner`, or a TTL-encoded value.
    var ephemeralOwner: Int64
    var version: Int32 = 0
    /// Number of child *creates* (ZooKeeper's persisted cversion). Clients see
    /// `cversion * 2 - numChildren`, which counts creates and deletes.
    var cversion: Int32 = 0
    var aversion: Int32 = 0
    /// Index into the store's ACL cache.
    var aclIndex: Int32

    init(data: [UInt8]?, aclIndex: Int32, zxid: Int64, time: Int64, ephemeralOwner: Int64) {
        self.data = data
        self.aclIndex = aclIndex
        czxid = zxid; mzxid = zxid; pzxid = zxid
        ctime = time; mtime = time
        self.ephemeralOwner = ephemeralOwner
    }

    /// Bytes of data (0 for null).
    var dataSize: Int { data?.count ?? 0 }

    var numChildren: Int32 { Int32(truncatingIfNeeded: children.count) }

    /// The Stat clients see (ZooKeeper's `DataNode.copyStat`).
    func stat(extendedTypes: Bool) -> Stat {
        let n = numChildren
        let kind = EphemeralKind(owner: ephemeralOwner, extendedTypes: extendedTypes)
        return Stat(
            czxid: czxid, mzxid: mzxid, ctime: ctime, mtime: mtime,
            version: version, cversion: cversion &* 2 &- n, aversion: aversion,
            ephemeralOwner: kind == .normal ? ephemeralOwner : 0,
            dataLength: Int32(truncatingIfNeeded: dataSize), numChildren: n, pzxid: pzxid)
    }

    /// Sorted views of `children`, dropped whenever they change (`children`'s didSet).
    var childOrder: ChildOrder?

    /// Children names sorted by bytes (deterministic; ZooKeeper returns hash order), kept
    /// until the children change: getChildren of a large node would otherwise sort on
    /// every request. It writes to the node: the store calls it through
    /// `ZNodeStore.sortedChildNames(of:)`, which keeps a snapshot walker out.
    var sortedChildNames: [String] {
        if let cached = childOrder?.names { return cached }
        let names = SortedChild.sorted(children).map(\.name.string)
        ensuredChildOrder.names = names
        return names
    }

    /// `childOrder`, created if the node has none yet.
    var ensuredChildOrder: ChildOrder {
        if let order = childOrder { return order }
        let order = ChildOrder()
        childOrder = order
        return order
    }
}

/// The sorted views of one znode's children (one reference in the node, so a node that
/// was never listed or snapshotted pays 8 bytes).
final class ChildOrder {
    /// For getChildren.
    var names: [String]?
    /// For snapshots of a big child list: the same order with unretained nodes (see
    /// `SnapshotBuilder.open`). Valid while this object is the node's `childOrder`: a
    /// change of the children detaches it.
    var walk: [SortedChild]?
}

/// ZooKeeper's `EphemeralType`, decoded from the raw ephemeralOwner.
enum EphemeralKind: Equatable {
    case void, normal, container, ttl

    static let containerOwner = Int64.min
    static let extendedMask: Int64 = Int64(bitPattern: 0xFF00_0000_0000_0000)
    static let reservedBitsMask: Int64 = 0x00FF_FF00_0000_0000
    static let ttlValueMask: Int64 = 0x0000_00FF_FFFF_FFFF
    /// `EphemeralType.TTL.maxValue()`: 2^40 - 1 ms.
    static let maxTTL: Int64 = ttlValueMask

    init(owner: Int64, extendedTypes: Bool) {
        if owner == EphemeralKind.containerOwner { self = .container; return }
        if extendedTypes, owner & EphemeralKind.extendedMask == EphemeralKind.extendedMask {
            let featureBits = (owner & EphemeralKind.reservedBitsMask) >> 40
            if featureBits == 0 { self = .ttl; return }
        }
        self = owner == 0 ? .void : .normal
    }

    static func ttlOwner(_ ttl: Int64) -> Int64 { extendedMask | ttl }
    static func ttlValue(_ owner: Int64) -> Int64 { owner & ttlValueMask }
}
