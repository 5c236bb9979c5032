import RaftCore

/// The simulator's single source of randomness (xoshiro256**, seeded via SplitMix64).
/// Every fault, delay and proposal of a run derives from one seed.
public struct SimRandom: RaftRandom, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// True with probability `p` (0...1), in 1/1_000_000 steps.
    public mutating func chance(_ p: Double) -> Bool {
        if p <= 0 { return false }
        return Double(next() % 1_000_000) < p * 1_000_000
    }

    /// Uniform in `range` (inclusive).
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    public mutating func pick<T>(_ items: [T]) -> T? {
        if items.isEmpty { return nil }
        return items[Int(next() % UInt64(items.count))]
    }

    /// A derived, independent generator (e.g. one per node for election timeouts).
    public mutating func fork() -> SimRandom { SimRandom(seed: next()) }
}

/// FNV-1a, for cheap deterministic fingerprints of entries and state.
@inline(__always) func fnv1a(_ bytes: [UInt8], seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
    var h = seed
    for b in bytes {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01b3
    }
    return h
}

@inline(__always) func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var sm = SplitMix64(seed: a ^ (b &* 0x9E37_79B9_7F4A_7C15))
    return sm.next()
}
