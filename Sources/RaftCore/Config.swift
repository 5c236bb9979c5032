/// A source of randomness injected into Raft (election timeouts only). Raft never
/// reads ambient randomness, so a seeded generator makes a node fully deterministic.
public protocol RaftRandom {
    mutating func next() -> UInt64
}

extension RaftRandom {
    /// A value in `0..<bound` (bound > 0). Modulo bias is irrelevant for timeouts.
    public mutating func next(below bound: UInt64) -> UInt64 { next() % bound }
}

/// SplitMix64: tiny, fast, and good enough to seed simulations and timeouts.
public struct SplitMix64: RaftRandom, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Deliberate bugs, for proving that tests and the simulator catch unsafe Raft.
/// Never set outside tests.
public struct DebugFaults: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Commit any entry replicated on a majority, even one from an earlier term
    /// (the bug of Raft paper figure 8).
    public static let commitPriorTermByCount = DebugFaults(rawValue: 1 << 0)
    /// Grant votes without the §5.4.1 "candidate's log is at least as up-to-date" check.
    public static let voteWithoutLogCheck = DebugFaults(rawValue: 1 << 1)
}

public struct RaftConfig: Sendable {
    /// This node's id (non-zero).
    public var id: NodeID
    /// Initial voters, used only when storage is empty (first start of a fresh cluster).
    /// Leave empty for a node that joins an existing cluster.
    public var peers: [NodeID] = []
    /// Initial learners, used with `peers`.
    public var learners: [NodeID] = []
    /// Ticks without hearing from a leader before campaigning. The effective timeout is
    /// randomized in `[electionTick, 2 * electionTick)`.
    public var electionTick: Int = 10
    /// Ticks between leader heartbeats.
    public var heartbeatTick: Int = 1
    /// Last applied index (when restarting with an application state already applied).
    public var applied: UInt64 = 0
    /// Maximum bytes of entries in one append message.
    public var maxSizePerMessage: UInt64 = 1 << 20
    /// Maximum bytes of committed entries in one `Ready`.
    public var maxCommittedSizePerReady: UInt64 = 1 << 26
    /// Pipelining window per follower: appends in flight (count and bytes, 0 = unlimited).
    public var maxInflightMessages: Int = 256
    public var maxInflightBytes: UInt64 = 0
    /// A leader refuses proposals once this many payload bytes are in its log but not
    /// yet committed and applied (0 = unlimited). At least one proposal is always accepted.
    public var maxUncommittedEntriesBytes: UInt64 = 0
    /// Snapshot bytes per InstallSnapshot chunk.
    public var maxSnapshotChunkBytes: Int = 1 << 20
    public var preVote: Bool = true
    public var checkQuorum: Bool = true
    public var unsafeTestingFlags: DebugFaults = []

    public init(id: NodeID, peers: [NodeID] = []) {
        self.id = id
        self.peers = peers
    }
}

public enum RaftError: Error, Sendable, Equatable {
    /// No leader known, leadership transfer in progress, or this node was removed.
    case proposalDropped
    /// A membership change is already in progress, or the leader has not yet committed
    /// an entry of its term.
    case configurationChangeInProgress
    /// The change does not alter the configuration or would remove the last voter.
    case invalidConfigurationChange
    /// A message for another node, or a local-only message type.
    case invalidMessage
}
