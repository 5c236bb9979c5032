/// What the driver must do next, in this order:
/// 1. persist `snapshot` (if any), `entries` and `hardState` (fsync when `mustSync`);
/// 2. send `messages`;
/// 3. apply `snapshot` then `committedEntries` to the state machine; serve `readStates`;
/// 4. call `RawNode.advance(_:)` with this value.
/// Messages must not be sent before step 1 is durable: a vote or an acknowledgement
/// promises that the state behind it survives a crash.
public struct Ready: Sendable {
    public var softState: SoftState?
    public var hardState: HardState?
    public var readStates: [ReadState] = []
    public var entries: [Entry] = []
    public var snapshot: Snapshot?
    public var committedEntries: [Entry] = []
    public var messages: [Message] = []
    public var mustSync: Bool = false

    public init(
        softState: SoftState? = nil, hardState: HardState? = nil, readStates: [ReadState] = [],
        entries: [Entry] = [], snapshot: Snapshot? = nil, committedEntries: [Entry] = [],
        messages: [Message] = [], mustSync: Bool = false
    ) {
        self.softState = softState
        self.hardState = hardState
        self.readStates = readStates
        self.entries = entries
        self.snapshot = snapshot
        self.committedEntries = committedEntries
        self.messages = messages
        self.mustSync = mustSync
    }
}

/// The node status, for diagnostics and tests.
public struct Status: Sendable, Equatable {
    public var id: NodeID
    public var term: UInt64
    public var vote: NodeID
    public var commit: UInt64
    public var applied: UInt64
    public var lastIndex: UInt64
    public var leader: NodeID
    public var role: NodeRole
    public var configuration: Configuration
    public var leadTransferee: NodeID
}

/// A Raft node for a driver loop (etcd's `RawNode`). Not thread-safe: one owner.
public struct RawNode {
    var raft: Raft
    var prevSoftState: SoftState
    var prevHardState: HardState
    var readyOutstanding = false

    public init(config: RaftConfig, storage: any LogStorage, random: any RaftRandom) throws(StorageError) {
        raft = try Raft(config: config, storage: storage, random: random)
        prevSoftState = raft.softState
        let (hs, _) = try storage.initialState()
        prevHardState = hs
    }

    // MARK: - Input

    public mutating func tick() { raft.tick() }

    /// Starts an election now (skipping the timeout).
    public mutating func campaign() { raft.step(Message(type: .hup, from: raft.id)) }

    /// Proposes application data. Followers forward to the leader; the proposal may
    /// still be lost, so callers retry on timeout.
    /// Returns where the entry went in the log when this node leads (nil when forwarded to
    /// the leader): callers need not read `lastIndex`/`term` afterwards, which from another
    /// module copies the whole node.
    @discardableResult
    public mutating func propose(_ data: [UInt8]) throws(RaftError) -> (term: UInt64, index: UInt64)? {
        try propose(Entry(term: 0, index: 0, type: .normal, data: data))
    }

    /// Proposes a single-server membership change. Only the leader accepts it.
    public mutating func proposeConfChange(_ change: ConfChange) throws(RaftError) {
        guard raft.role == .leader else { throw .proposalDropped }
        guard raft.canChangeConfiguration else { throw .configurationChangeInProgress }
        guard let next = change.applied(to: raft.config) else { throw .invalidConfigurationChange }
        try propose(Entry(term: 0, index: 0, type: .configuration, data: next.encoded()))
    }

    @discardableResult
    mutating func propose(_ e: Entry) throws(RaftError) -> (term: UInt64, index: UInt64)? {
        switch raft.role {
        case .leader:
            var batch = [e]
            if !raft.leaderPropose(&batch) { throw .proposalDropped }
            return (batch[0].term, batch[0].index)
        case .follower:
            if raft.lead == noneNode || e.type == .configuration { throw .proposalDropped }
            raft.step(Message(type: .propose, from: raft.id, entries: [e]))
            return nil
        default:
            throw .proposalDropped
        }
    }

    /// Feeds a message received from a peer.
    public mutating func step(_ m: Message) throws(RaftError) {
        if m.type.isLocal { throw .invalidMessage }
        if m.to != raft.id { throw .invalidMessage }
        // Responses from nodes we no longer track are ignored.
        if m.type.isResponse && raft.progress[m.from] == nil && m.type != .readIndexResponse
            && m.type != .voteResponse && m.type != .preVoteResponse
        {
            return
        }
        raft.step(m)
    }

    /// Asks the leader to hand leadership to `transferee` (TimeoutNow once caught up).
    public mutating func transferLeadership(to transferee: NodeID) {
        raft.step(Message(type: .transferLeader, from: transferee))
    }

    /// Requests a read index; the answer arrives in `Ready.readStates` with `context`,
    /// which must be unique among outstanding requests.
    public mutating func readIndex(context: [UInt8]) {
        raft.step(Message(type: .readIndex, from: raft.id, context: context))
    }

    // MARK: - Output

    public func hasReady() -> Bool {
        if readyOutstanding { return false }
        if raft.softState != prevSoftState { return true }
        let hs = raft.hardState
        if !hs.isEmpty && hs != prevHardState { return true }
        if raft.log.hasPendingSnapshot() { return true }
        if !raft.msgs.isEmpty || !raft.log.unstableEntries().isEmpty || !raft.readStates.isEmpty { return true }
        return raft.log.hasNextCommittedEntries()
    }

    /// Takes the next batch of work. Call `advance` with it before the next `ready()`.
    public mutating func ready() -> Ready {
        precondition(!readyOutstanding, "raft: ready() called twice without advance()")
        var rd = Ready()
        let ss = raft.softState
        if ss != prevSoftState {
            rd.softState = ss
            prevSoftState = ss
        }
        let hs = raft.hardState
        if hs != prevHardState {
            rd.hardState = hs
            rd.mustSync = hs.term != prevHardState.term || hs.vote != prevHardState.vote
            prevHardState = hs
        }
        rd.entries = raft.log.unstableEntries()
        if !rd.entries.isEmpty { rd.mustSync = true }
        rd.snapshot = raft.log.unstable.snapshot
        if rd.snapshot != nil { rd.mustSync = true }
        rd.committedEntries = raft.log.nextCommittedEntries(maxBytes: raft.cfg.maxCommittedSizePerReady)
        rd.messages = raft.msgs
        raft.msgs = []
        rd.readStates = raft.readStates
        raft.readStates = []
        readyOutstanding = true
        return rd
    }

    /// Reports that `rd` was persisted, sent and applied.
    public mutating func advance(_ rd: Ready) {
        precondition(readyOutstanding, "raft: advance() without ready()")
        readyOutstanding = false
        if let s = rd.snapshot {
            raft.log.stableSnapTo(s.metadata.index)
            raft.log.appliedTo(s.metadata.index)
        }
        if let last = rd.entries.last {
            raft.log.stableTo(index: last.index, term: last.term)
        }
        if let last = rd.committedEntries.last {
            raft.log.appliedTo(last.index)
            if raft.role == .leader && raft.uncommittedSize > 0 {
                let applied = rd.committedEntries.reduce(0) { $0 + UInt64($1.data.count) }
                raft.uncommittedSize -= min(applied, raft.uncommittedSize)
            }
        }
    }

    // MARK: - Inspection

    public var status: Status {
        Status(id: raft.id, term: raft.term, vote: raft.vote, commit: raft.log.committed,
               applied: raft.log.applied, lastIndex: raft.log.lastIndex(), leader: raft.lead,
               role: raft.role, configuration: raft.config, leadTransferee: raft.leadTransferee)
    }

    public var id: NodeID { raft.id }
    public var role: NodeRole { raft.role }
    public var term: UInt64 { raft.term }
    public var leader: NodeID { raft.lead }
    public var configuration: Configuration { raft.config }

    /// Term of entry `index` in this node's log (nil if compacted), for checkers.
    public func logTerm(at index: UInt64) -> UInt64? { try? raft.log.term(index) }
    public var lastIndex: UInt64 { raft.log.lastIndex() }
    public var firstIndex: UInt64 { raft.log.firstIndex() }
    public var committed: UInt64 { raft.log.committed }

    /// Entries `[lo, hi)` of the log (stable and unstable), for checkers and tests.
    public func logEntries(_ lo: UInt64, _ hi: UInt64) -> [Entry]? {
        try? raft.log.slice(lo, hi, maxBytes: UInt64.max)
    }

    /// Whether a membership change can be proposed now.
    public var canChangeConfiguration: Bool { raft.role == .leader && raft.canChangeConfiguration }

    /// Followers' replication state as seen by a leader: (id, match, next, state).
    public var progressDescription: [(id: NodeID, match: UInt64, next: UInt64, state: String)] {
        raft.progress.keys.sorted().map { p in
            let pr = raft.progress[p]!
            return (p, pr.match, pr.next, pr.state.description)
        }
    }
}
