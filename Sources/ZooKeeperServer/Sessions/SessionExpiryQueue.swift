/// Session deadlines grouped in buckets of `interval` ms, as ZooKeeper's `ExpiryQueue`:
/// a deadline is rounded up to the next multiple of the interval, so one timer per
/// interval expires a whole bucket. Pure: time comes in as an argument.
public struct SessionExpiryQueue: Sendable {
    public let interval: Int64
    private var deadlineBySession: [Int64: Int64] = [:]
    private var buckets: [Int64: Set<Int64>] = [:]

    public init(interval: Int64) {
        precondition(interval > 0)
        self.interval = interval
    }

    public var count: Int { deadlineBySession.count }

    func roundUp(_ time: Int64) -> Int64 { (time / interval + 1) * interval }

    /// Moves the session's deadline to `now + timeout` (rounded up to the bucket).
    public mutating func touch(_ session: Int64, timeout: Int64, now: Int64) {
        let deadline = roundUp(now + timeout)
        if let old = deadlineBySession[session] {
            if old == deadline { return }
            buckets[old]?.remove(session)
            if buckets[old]?.isEmpty == true { buckets[old] = nil }
        }
        deadlineBySession[session] = deadline
        buckets[deadline, default: []].insert(session)
    }

    public mutating func remove(_ session: Int64) {
        guard let old = deadlineBySession.removeValue(forKey: session) else { return }
        buckets[old]?.remove(session)
        if buckets[old]?.isEmpty == true { buckets[old] = nil }
    }

    public func deadline(of session: Int64) -> Int64? { deadlineBySession[session] }

    /// Removes and returns every session whose deadline is at or before `now`, sorted by id.
    public mutating func expire(now: Int64) -> [Int64] {
        var out: [Int64] = []
        for deadline in buckets.keys where deadline <= now {
            if let sessions = buckets.removeValue(forKey: deadline) {
                for s in sessions { deadlineBySession[s] = nil }
                out.append(contentsOf: sessions)
            }
        }
        return out.sorted()
    }
}

/// Session ids and passwords, as ZooKeeper makes them.
public enum SessionIds {
    /// ZooKeeper's `SessionTrackerImpl.initializeNextSessionId`: the server id in the high
    /// byte, then the start time in milliseconds, shifted.
    public static func firstSessionId(serverId: Int, nowMillis: Int64) -> Int64 {
        let time = Int64(bitPattern: (UInt64(bitPattern: nowMillis << 24)) >> 8)
        return time | (Int64(serverId) << 56)
    }

    /// A 16-byte password derived from the session id and a secret, so every server of the
    /// ensemble can check it without storing it (ZooKeeper does the same with `superSecret`).
    public static func password(sessionId: Int64, secret: UInt64) -> [UInt8] {
        var state = UInt64(bitPattern: sessionId) ^ secret
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for _ in 0..<2 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: z >> (8 * UInt64(i)))) }
        }
        return out
    }

    public static let defaultSecret: UInt64 = 0xB341_5C00_7A5C_0001

    /// Timeout negotiation: clamp into [min, max].
    public static func negotiateTimeout(requested: Int32, min: Int, max: Int) -> Int32 {
        Int32(Swift.max(min, Swift.min(max, Int(requested))))
    }
}
