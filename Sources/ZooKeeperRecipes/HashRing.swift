/// A consistent-hash ring over member names: each member owns `virtualNodes` points on a
/// 64-bit ring (FNV-1a of `member#i`); a key belongs to the first `replicationFactor`
/// distinct members clockwise from its hash. Adding or removing one of N members moves
/// about 1/N of the keys. Pure and deterministic.
public struct HashRing: Sendable, Equatable {
    public let virtualNodes: Int
    public private(set) var members: [String]
    private var points: [(hash: UInt64, member: String)]

    public init(members: [String] = [], virtualNodes: Int = 128) {
        self.virtualNodes = virtualNodes
        self.members = []
        self.points = []
        setMembers(members)
    }

    public static func == (a: HashRing, b: HashRing) -> Bool {
        a.virtualNodes == b.virtualNodes && a.members == b.members
    }

    /// Replaces the member set (e.g. from a membership watch).
    public mutating func setMembers(_ newMembers: [String]) {
        members = Array(Set(newMembers)).sorted()
        points = members.flatMap { m in (0..<virtualNodes).map { (Self.hash("\(m)#\($0)"), m) } }
        points.sort { $0.hash == $1.hash ? $0.member < $1.member : $0.hash < $1.hash }
    }

    /// The owners of `key`, primary first: `replicationFactor` distinct members (fewer if
    /// the ring has fewer members).
    public func owners(of key: String, replicationFactor: Int = 1) -> [String] {
        guard !points.isEmpty, replicationFactor > 0 else { return [] }
        let h = Self.hash(key)
        var lo = 0, hi = points.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if points[mid].hash < h { lo = mid + 1 } else { hi = mid }
        }
        var out: [String] = []
        var i = lo
        while out.count < min(replicationFactor, members.count) {
            let m = points[i % points.count].member
            if !out.contains(m) { out.append(m) }
            i += 1
        }
        return out
    }

    /// 64-bit FNV-1a with a final avalanche (splitmix64), stable across runs and platforms.
    public static func hash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        h ^= h >> 30; h = h &* 0xbf58_476d_1ce4_e5b9
        h ^= h >> 27; h = h &* 0x94d0_49bb_1331_11eb
        h ^= h >> 31
        return h
    }
}
