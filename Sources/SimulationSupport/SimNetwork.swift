import RaftCore

/// Network fault settings; the simulator changes them over a run.
public struct NetworkFaults: Sendable {
    public var dropRate: Double = 0
    public var duplicateRate: Double = 0
    public var minDelay: Int = 0
    public var maxDelay: Int = 2

    public static let reliable = NetworkFaults(dropRate: 0, duplicateRate: 0, minDelay: 0, maxDelay: 1)
}

/// A simulated network: messages are delivered after a random delay (which reorders
/// them), may be dropped or duplicated, and directed links can be cut.
public struct SimNetwork {
    public var faults = NetworkFaults()
    /// Cut links, as (from << 32 | to).
    private(set) var blocked: Set<UInt64> = []
    private var queue: [Int: [Message]] = [:]
    public private(set) var sent = 0
    public private(set) var dropped = 0

    public init() {}

    static func link(_ from: NodeID, _ to: NodeID) -> UInt64 { from << 32 | to }

    public func isBlocked(_ from: NodeID, _ to: NodeID) -> Bool { blocked.contains(Self.link(from, to)) }

    public mutating func block(_ from: NodeID, _ to: NodeID) { blocked.insert(Self.link(from, to)) }

    /// Cuts every link between `side` and `others`, both ways.
    public mutating func partition(_ side: [NodeID], _ others: [NodeID]) {
        for a in side {
            for b in others where a != b {
                block(a, b)
                block(b, a)
            }
        }
    }

    public mutating func heal() { blocked.removeAll() }

    public var hasPartitions: Bool { !blocked.isEmpty }

    public mutating func send(_ m: Message, now: Int, rng: inout SimRandom) {
        sent += 1
        if isBlocked(m.from, m.to) || rng.chance(faults.dropRate) {
            dropped += 1
            return
        }
        let copies = rng.chance(faults.duplicateRate) ? 2 : 1
        for _ in 0..<copies {
            let at = now + max(1, rng.int(faults.minDelay...max(faults.minDelay, faults.maxDelay)))
            queue[at, default: []].append(m)
        }
    }

    /// Messages due at `now`, in a shuffled order (reordering within a tick).
    public mutating func deliverable(now: Int, rng: inout SimRandom) -> [Message] {
        guard var ms = queue.removeValue(forKey: now) else { return [] }
        if ms.count > 1 {
            for i in stride(from: ms.count - 1, to: 0, by: -1) {
                ms.swapAt(i, Int(rng.next() % UInt64(i + 1)))
            }
        }
        // A link cut after sending also loses messages still in flight.
        return ms.filter { !isBlocked($0.from, $0.to) }
    }

    /// A crashed process loses what was still in its send buffers.
    public mutating func dropInFlight(from node: NodeID) {
        for k in queue.keys.sorted() {
            queue[k]!.removeAll { $0.from == node }
        }
    }

    public var inFlight: Int { queue.values.reduce(0) { $0 + $1.count } }
}
