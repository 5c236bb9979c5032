/// The leader's view of one follower's log (etcd's `tracker.Progress`).
enum ProgressState: Sendable, Equatable, CustomStringConvertible {
    /// At most one append in flight; used while searching for the match point.
    case probe
    /// Optimistic pipelining: several appends in flight, bounded by `Inflights`.
    case replicate
    /// Sending a snapshot; appends paused until it is acknowledged.
    case snapshot

    var description: String {
        switch self {
        case .probe: "probe"
        case .replicate: "replicate"
        case .snapshot: "snapshot"
        }
    }
}

/// A bounded window of in-flight appends, identified by their last index.
struct Inflights {
    private var items: [(index: UInt64, bytes: UInt64)] = []
    private var head = 0
    private(set) var bytes: UInt64 = 0
    let maxCount: Int
    let maxBytes: UInt64  // 0 = unlimited

    init(maxCount: Int, maxBytes: UInt64) {
        self.maxCount = max(1, maxCount)
        self.maxBytes = maxBytes
    }

    var count: Int { items.count - head }

    var isFull: Bool { count >= maxCount || (maxBytes != 0 && bytes >= maxBytes) }

    mutating func add(index: UInt64, bytes b: UInt64) {
        items.append((index, b))
        bytes += b
    }

    /// Frees every flight whose last index is ≤ `to`.
    mutating func freeLE(_ to: UInt64) {
        while head < items.count && items[head].index <= to {
            bytes -= items[head].bytes
            head += 1
        }
        compactIfNeeded()
    }

    mutating func freeFirstOne() {
        if head < items.count {
            bytes -= items[head].bytes
            head += 1
        }
        compactIfNeeded()
    }

    mutating func reset() {
        items.removeAll(keepingCapacity: true)
        head = 0
        bytes = 0
    }

    private mutating func compactIfNeeded() {
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
    }
}

struct Progress {
    var match: UInt64 = 0
    var next: UInt64
    var state: ProgressState = .probe
    /// Snapshot being sent (state `.snapshot`), and how many of its bytes were acknowledged.
    var pendingSnapshot: UInt64 = 0
    var snapshotOffset: UInt64 = 0
    /// Heard from since the last check-quorum round.
    var recentActive = false
    /// In probe state: an append was sent and no answer came yet.
    var msgAppFlowPaused = false
    var inflights: Inflights
    var isLearner: Bool

    init(next: UInt64, maxInflight: Int, maxInflightBytes: UInt64, isLearner: Bool) {
        self.next = next
        self.inflights = Inflights(maxCount: maxInflight, maxBytes: maxInflightBytes)
        self.isLearner = isLearner
    }

    private mutating func resetState(_ s: ProgressState) {
        msgAppFlowPaused = false
        pendingSnapshot = 0
        snapshotOffset = 0
        state = s
        inflights.reset()
    }

    mutating func becomeProbe() {
        if state == .snapshot {
            let pending = pendingSnapshot
            resetState(.probe)
            next = max(match + 1, pending + 1)
        } else {
            resetState(.probe)
            next = match + 1
        }
    }

    mutating func becomeReplicate() {
        resetState(.replicate)
        next = match + 1
    }

    mutating func becomeSnapshot(_ index: UInt64) {
        resetState(.snapshot)
        pendingSnapshot = index
    }

    /// Records an append of `count` entries (`bytes` in total) just sent.
    mutating func sentEntries(count: Int, bytes: UInt64) {
        switch state {
        case .replicate:
            if count > 0 {
                next += UInt64(count)
                inflights.add(index: next - 1, bytes: bytes)
            }
        case .probe:
            msgAppFlowPaused = true
        case .snapshot:
            break
        }
    }

    /// An acknowledgement up to `n`. Returns false if it was stale.
    mutating func maybeUpdate(_ n: UInt64) -> Bool {
        var updated = false
        if match < n {
            match = n
            updated = true
            msgAppFlowPaused = false
        }
        next = max(next, n + 1)
        return updated
    }

    /// A rejection of the append at `rejected`; `matchHint` is the follower's guess.
    /// Returns false if the rejection is stale.
    mutating func maybeDecrTo(rejected: UInt64, matchHint: UInt64) -> Bool {
        if state == .replicate {
            if rejected <= match { return false }
            next = match + 1
            return true
        }
        if next - 1 != rejected { return false }
        next = max(min(rejected, matchHint + 1), match + 1)
        msgAppFlowPaused = false
        return true
    }

    var isPaused: Bool {
        switch state {
        case .probe: msgAppFlowPaused
        case .replicate: inflights.isFull
        case .snapshot: true
        }
    }
}

/// Quorum arithmetic over a sorted voter list (majority configuration).
enum Quorum {
    /// The largest index acknowledged by a majority of `voters`.
    static func committedIndex(voters: [NodeID], match: (NodeID) -> UInt64) -> UInt64 {
        if voters.isEmpty { return UInt64.max }
        // On the stack: this runs on every acknowledgement.
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: voters.count) { b in
            var buf = b
            for (i, v) in voters.enumerated() { buf.initializeElement(at: i, to: match(v)) }
            buf.sort(by: >)
            return buf[voters.count / 2]
        }
    }

    enum VoteResult { case pending, won, lost }

    static func voteResult(voters: [NodeID], votes: [NodeID: Bool]) -> VoteResult {
        if voters.isEmpty { return .won }
        var granted = 0
        var rejected = 0
        for v in voters {
            switch votes[v] {
            case true?: granted += 1
            case false?: rejected += 1
            case nil: break
            }
        }
        let q = voters.count / 2 + 1
        if granted >= q { return .won }
        if voters.count - rejected < q { return .lost }
        return .pending
    }
}
