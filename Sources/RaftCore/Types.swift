/// Basic value types shared by the Raft state machine, storage and the driver.
/// Everything here is a plain value: `Sendable`, `Equatable`, no references.

/// Node identifier. `0` means "none".
public typealias NodeID = UInt64

public let noneNode: NodeID = 0

public enum EntryType: UInt8, Sendable, Equatable {
    /// Application data (possibly empty: a leader appends an empty entry on election).
    case normal = 0
    /// A full `Configuration` encoded with `Configuration.encoded()`.
    case configuration = 1
}

public struct Entry: Sendable, Equatable {
    public var term: UInt64
    public var index: UInt64
    public var type: EntryType
    public var data: [UInt8]

    public init(term: UInt64, index: UInt64, type: EntryType = .normal, data: [UInt8] = []) {
        self.term = term
        self.index = index
        self.type = type
        self.data = data
    }

    /// Size used for batching limits (payload plus a fixed header estimate).
    public var byteSize: UInt64 { UInt64(data.count) + 24 }
}

/// State that must be durable before any message of the same `Ready` is sent.
public struct HardState: Sendable, Equatable {
    public var term: UInt64
    public var vote: NodeID
    public var commit: UInt64

    public init(term: UInt64 = 0, vote: NodeID = noneNode, commit: UInt64 = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }

    public var isEmpty: Bool { term == 0 && vote == noneNode && commit == 0 }
}

public enum NodeRole: Sendable, Equatable, CustomStringConvertible {
    case follower, preCandidate, candidate, leader

    public var description: String {
        switch self {
        case .follower: "follower"
        case .preCandidate: "pre-candidate"
        case .candidate: "candidate"
        case .leader: "leader"
        }
    }
}

/// Volatile state, reported when it changes.
public struct SoftState: Sendable, Equatable {
    public var leader: NodeID
    public var role: NodeRole
}

/// Cluster membership: the voters decide elections and commits; learners only
/// receive the log. Both arrays are kept sorted and disjoint.
public struct Configuration: Sendable, Equatable, CustomStringConvertible {
    public private(set) var voters: [NodeID]
    public private(set) var learners: [NodeID]
    /// Voters and learners, sorted (computed once: it is read on every broadcast).
    public private(set) var allMembers: [NodeID]

    public init(voters: [NodeID] = [], learners: [NodeID] = []) {
        self.voters = Array(Set(voters)).sorted()
        let v = Set(self.voters)
        self.learners = Array(Set(learners).subtracting(v)).sorted()
        allMembers = (self.voters + self.learners).sorted()
    }

    public var isEmpty: Bool { voters.isEmpty && learners.isEmpty }
    public func isVoter(_ id: NodeID) -> Bool { voters.contains(id) }
    public func isLearner(_ id: NodeID) -> Bool { learners.contains(id) }
    public func contains(_ id: NodeID) -> Bool { isVoter(id) || isLearner(id) }

    public var description: String { "voters=\(voters) learners=\(learners)" }

    /// Little-endian: u32 voter count, voters as u64, u32 learner count, learners as u64.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(8 + 8 * (voters.count + learners.count))
        appendU32(&out, UInt32(voters.count))
        for v in voters { appendU64(&out, v) }
        appendU32(&out, UInt32(learners.count))
        for l in learners { appendU64(&out, l) }
        return out
    }

    public static func decode(_ bytes: [UInt8]) -> Configuration? {
        var pos = 0
        guard let nv = readU32(bytes, &pos) else { return nil }
        var voters: [NodeID] = []
        for _ in 0..<nv { guard let v = readU64(bytes, &pos) else { return nil }; voters.append(v) }
        guard let nl = readU32(bytes, &pos) else { return nil }
        var learners: [NodeID] = []
        for _ in 0..<nl { guard let l = readU64(bytes, &pos) else { return nil }; learners.append(l) }
        guard pos == bytes.count else { return nil }
        return Configuration(voters: voters, learners: learners)
    }
}

/// A single-server membership change (see docs/RAFT.md for why not joint consensus).
public enum ConfChange: Sendable, Equatable {
    /// Add a voter, or promote a learner to voter.
    case addVoter(NodeID)
    /// Add a learner, or demote a voter to learner.
    case addLearner(NodeID)
    /// Remove a voter or learner (the leader itself may be removed).
    case remove(NodeID)

    /// The configuration after applying this change, or nil when the change is a no-op
    /// or would leave no voter.
    public func applied(to c: Configuration) -> Configuration? {
        var voters = c.voters
        var learners = c.learners
        switch self {
        case .addVoter(let id):
            if voters.contains(id) { return nil }
            learners.removeAll { $0 == id }
            voters.append(id)
        case .addLearner(let id):
            if learners.contains(id) { return nil }
            voters.removeAll { $0 == id }
            learners.append(id)
        case .remove(let id):
            if !c.contains(id) { return nil }
            voters.removeAll { $0 == id }
            learners.removeAll { $0 == id }
        }
        if voters.isEmpty { return nil }
        return Configuration(voters: voters, learners: learners)
    }
}

public struct SnapshotMetadata: Sendable, Equatable {
    public var index: UInt64
    public var term: UInt64
    public var configuration: Configuration

    public init(index: UInt64 = 0, term: UInt64 = 0, configuration: Configuration = Configuration()) {
        self.index = index
        self.term = term
        self.configuration = configuration
    }
}

/// Application state at `metadata.index`; `data` is opaque to Raft.
public struct Snapshot: Sendable, Equatable {
    public var metadata: SnapshotMetadata
    public var data: [UInt8]

    public init(metadata: SnapshotMetadata = SnapshotMetadata(), data: [UInt8] = []) {
        self.metadata = metadata
        self.data = data
    }

    public var isEmpty: Bool { metadata.index == 0 }
}

/// The answer to a ReadIndex request: once `index` is applied locally, a read
/// tagged with `context` is linearizable.
public struct ReadState: Sendable, Equatable {
    public var index: UInt64
    public var context: [UInt8]
}

@inline(__always) func appendU32(_ out: inout [UInt8], _ v: UInt32) {
    for s in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) }
}

@inline(__always) func appendU64(_ out: inout [UInt8], _ v: UInt64) {
    for s in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) }
}

func readU32(_ b: [UInt8], _ pos: inout Int) -> UInt32? {
    guard pos + 4 <= b.count else { return nil }
    var v: UInt32 = 0
    for i in 0..<4 { v |= UInt32(b[pos + i]) << UInt32(8 * i) }
    pos += 4
    return v
}

func readU64(_ b: [UInt8], _ pos: inout Int) -> UInt64? {
    guard pos + 8 <= b.count else { return nil }
    var v: UInt64 = 0
    for i in 0..<8 { v |= UInt64(b[pos + i]) << UInt64(8 * i) }
    pos += 8
    return v
}
