/// The Raft state machine (etcd's `raft.go`): no I/O, no clock, no ambient randomness.
/// Everything happens in `step` and `tick`; output accumulates in `msgs`,
/// `readStates` and the log's unstable part, and is drained by `RawNode.ready()`.
struct Raft {
    let id: NodeID
    let cfg: RaftConfig
    var random: any RaftRandom

    var term: UInt64 = 0
    var vote: NodeID = noneNode
    var log: RaftLog
    var role: NodeRole = .follower
    var lead: NodeID = noneNode
    var leadTransferee: NodeID = noneNode

    /// Config-on-append (Raft thesis §4.1): the latest configuration in the log is in
    /// force, committed or not. `configHistory[0]` is the configuration at the
    /// snapshot index; later items are configuration entries still in the log.
    var configHistory: [(index: UInt64, config: Configuration)]
    var config: Configuration { configHistory[configHistory.count - 1].config }

    var progress: [NodeID: Progress] = [:]
    var votes: [NodeID: Bool] = [:]
    var msgs: [Message] = []
    var readStates: [ReadState] = []
    var readRequests: [ReadIndexRequest] = []
    var pendingReadIndexMessages: [Message] = []

    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTimeout = 0
    /// Index of the empty entry this node appended when it became leader.
    var firstIndexOfTerm: UInt64 = 0
    /// Leader only: payload bytes proposed in this term and not yet applied.
    var uncommittedSize: UInt64 = 0
    /// Leader only: removed servers still replicated to until their removal (the
    /// configuration entry at `until`) is committed; see `applyConfiguration`.
    var leaving: [(id: NodeID, until: UInt64)] = []

    /// Snapshot being sent to each peer, so chunks come from one consistent image.
    var outgoingSnapshots: [NodeID: Snapshot] = [:]
    /// Snapshot chunks received so far (follower side).
    var incomingSnapshot: (metadata: SnapshotMetadata, total: UInt64, data: [UInt8])?

    struct ReadIndexRequest {
        var index: UInt64
        var from: NodeID
        var context: [UInt8]
        var acks: [NodeID: Bool]
    }

    init(config c: RaftConfig, storage: any LogStorage, random: any RaftRandom) throws(StorageError) {
        precondition(c.id != noneNode, "raft: id must not be zero")
        precondition(c.heartbeatTick > 0 && c.electionTick > c.heartbeatTick, "raft: electionTick must exceed heartbeatTick")
        id = c.id
        cfg = c
        self.random = random
        log = RaftLog(storage: storage)
        let (hs, snapConf) = try storage.initialState()
        let first = try storage.firstIndex()
        let last = try storage.lastIndex()
        configHistory = [(first - 1, first > 1 ? snapConf : Configuration())]
        // Rebuild the configuration from configuration entries still in the log.
        var lo = first
        while lo <= last {
            let ents = try storage.entries(lo, last + 1, maxBytes: 1 << 24)
            for e in ents where e.type == .configuration {
                if let conf = Configuration.decode(e.data) { configHistory.append((e.index, conf)) }
            }
            lo += UInt64(max(ents.count, 1))
        }
        let bootstrap = last == 0 && hs.isEmpty && !c.peers.isEmpty
        if !hs.isEmpty {
            // A commit index below the snapshot is stale but harmless (commit need not be durable).
            precondition(hs.commit <= log.lastIndex(),
                         "raft: hard state commit \(hs.commit) beyond the last index \(log.lastIndex())")
            log.committed = max(hs.commit, log.committed)
            term = hs.term
            vote = hs.vote
        }
        if c.applied > 0 { log.appliedTo(min(c.applied, log.committed)) }
        becomeFollower(term: term, lead: noneNode)
        if bootstrap {
            // Every founding member writes the same first entry: the initial configuration.
            let conf = Configuration(voters: c.peers, learners: c.learners)
            becomeFollower(term: 1, lead: noneNode)
            let e = Entry(term: 1, index: 1, type: .configuration, data: conf.encoded())
            log.append([e])
            log.committed = 1
            noteAppended([e], written: 1)
        }
        applyConfiguration()
    }

    var hardState: HardState { HardState(term: term, vote: vote, commit: log.committed) }
    var softState: SoftState { SoftState(leader: lead, role: role) }
    var isPromotable: Bool { config.isVoter(id) }

    // MARK: - Configuration

    /// Records configuration entries in `ents` written at or after `written`,
    /// dropping configurations from truncated entries.
    mutating func noteAppended(_ ents: [Entry], written: UInt64) {
        var changed = false
        while configHistory.count > 1 && configHistory[configHistory.count - 1].index >= written {
            configHistory.removeLast()
            changed = true
        }
        for e in ents where e.index >= written && e.type == .configuration {
            if let conf = Configuration.decode(e.data) {
                configHistory.append((e.index, conf))
                changed = true
            }
        }
        if changed { applyConfiguration() }
    }

    /// Brings the progress table in line with `config`.
    mutating func applyConfiguration() {
        let conf = config
        let lastIndex = log.lastIndex()
        for peer in conf.allMembers {
            let learner = conf.isLearner(peer)
            if progress[peer] == nil {
                var pr = Progress(next: lastIndex + 1, maxInflight: cfg.maxInflightMessages,
                                  maxInflightBytes: cfg.maxInflightBytes, isLearner: learner)
                pr.recentActive = true
                if peer == id { pr.match = lastIndex }
                progress[peer] = pr
            } else {
                progress[peer]!.isLearner = learner
            }
        }
        leaving.removeAll { conf.contains($0.id) }
        for peer in progress.keys.sorted() where !conf.contains(peer) && !leaving.contains(where: { $0.id == peer }) {
            if role == .leader && peer != id {
                // Keep replicating to a removed server until its removal commits, so it
                // learns it was removed (and stops campaigning).
                leaving.append((peer, configHistory[configHistory.count - 1].index))
            } else {
                progress[peer] = nil
                outgoingSnapshots[peer] = nil
            }
        }
        if role == .leader {
            if leadTransferee != noneNode && !conf.isVoter(leadTransferee) { leadTransferee = noneNode }
            // The caller (a proposal) broadcasts the new entries; only a commit needs telling here.
            if maybeCommit() { bcastAppend() }
        }
    }

    /// The leader may start a membership change only when no change is uncommitted
    /// and it has committed an entry of its own term (fix for the single-server
    /// change bug described in the thesis errata).
    var canChangeConfiguration: Bool {
        configHistory[configHistory.count - 1].index <= log.committed && log.committed >= firstIndexOfTerm
    }

    // MARK: - Role changes

    mutating func reset(term t: UInt64) {
        if term != t {
            term = t
            vote = noneNode
        }
        lead = noneNode
        electionElapsed = 0
        heartbeatElapsed = 0
        resetRandomizedElectionTimeout()
        leadTransferee = noneNode
        votes = [:]
        readRequests = []
        outgoingSnapshots = [:]
        leaving = []
        let lastIndex = log.lastIndex()
        for peer in progress.keys.sorted() where !config.contains(peer) { progress[peer] = nil }
        for peer in progress.keys.sorted() {
            var pr = Progress(next: lastIndex + 1, maxInflight: cfg.maxInflightMessages,
                              maxInflightBytes: cfg.maxInflightBytes, isLearner: progress[peer]!.isLearner)
            if peer == id { pr.match = lastIndex }
            progress[peer] = pr
        }
    }

    mutating func resetRandomizedElectionTimeout() {
        randomizedElectionTimeout = cfg.electionTick + Int(random.next(below: UInt64(cfg.electionTick)))
    }

    mutating func becomeFollower(term t: UInt64, lead l: NodeID) {
        reset(term: t)
        lead = l
        role = .follower
        pendingReadIndexMessages = []
    }

    mutating func becomePreCandidate() {
        precondition(role != .leader, "raft: leader cannot become pre-candidate")
        votes = [:]
        lead = noneNode
        role = .preCandidate
    }

    mutating func becomeCandidate() {
        precondition(role != .leader, "raft: leader cannot become candidate")
        reset(term: term + 1)
        vote = id
        role = .candidate
    }

    mutating func becomeLeader() {
        precondition(role != .follower, "raft: follower cannot become leader directly")
        reset(term: term)
        lead = id
        role = .leader
        if progress[id] != nil {
            progress[id]!.becomeReplicate()
            progress[id]!.recentActive = true
        }
        for peer in progress.keys.sorted() { progress[peer]!.recentActive = true }
        // An empty entry of the new term lets the leader commit (and learn the commit
        // index of) everything before it.
        firstIndexOfTerm = log.lastIndex() + 1
        uncommittedSize = 0
        var empty = [Entry(term: term, index: 0)]
        appendEntries(&empty)
    }

    // MARK: - Tick

    mutating func tick() {
        switch role {
        case .leader: tickHeartbeat()
        default: tickElection()
        }
    }

    mutating func tickElection() {
        electionElapsed += 1
        if isPromotable && electionElapsed >= randomizedElectionTimeout {
            electionElapsed = 0
            step(Message(type: .hup, from: id))
        }
    }

    mutating func tickHeartbeat() {
        heartbeatElapsed += 1
        electionElapsed += 1
        if electionElapsed >= cfg.electionTick {
            electionElapsed = 0
            if cfg.checkQuorum { step(Message(type: .checkQuorum, from: id)) }
            if role == .leader && leadTransferee != noneNode { leadTransferee = noneNode }
            if role == .leader { dropLeavingPeers() }
        }
        guard role == .leader else { return }
        if heartbeatElapsed >= cfg.heartbeatTick {
            heartbeatElapsed = 0
            step(Message(type: .beat, from: id))
        }
    }

    // MARK: - Sending

    mutating func send(_ m: Message) {
        var m = m
        if m.from == noneNode { m.from = id }
        switch m.type {
        case .vote, .voteResponse, .preVote, .preVoteResponse:
            precondition(m.term != 0, "raft: term must be set for \(m.type)")
        case .propose, .readIndex:
            m.term = 0
        default:
            m.term = term
        }
        msgs.append(m)
    }

    /// Calls `body` for every other member, in id order (deterministic).
    mutating func forEachPeer(_ body: (inout Raft, NodeID) -> Void) {
        for peer in config.allMembers where peer != id { body(&self, peer) }
        if !leaving.isEmpty {
            for l in leaving { body(&self, l.id) }
        }
    }

    /// Stops replicating to removed servers whose removal is committed (called once per
    /// election timeout, which leaves them time to receive the commit).
    mutating func dropLeavingPeers() {
        let committed = log.committed
        for l in leaving where l.until <= committed {
            progress[l.id] = nil
            outgoingSnapshots[l.id] = nil
        }
        leaving.removeAll { $0.until <= committed }
    }

    mutating func appendEntries(_ es: inout [Entry]) {
        var li = log.lastIndex()
        for i in es.indices {
            es[i].term = term
            es[i].index = li + 1 + UInt64(i)
        }
        li = log.append(es)
        noteAppended(es, written: es.first?.index ?? li + 1)
        if progress[id] != nil { _ = progress[id]!.maybeUpdate(li) }
        _ = maybeCommit()
    }

    mutating func bcastAppend() {
        forEachPeer { r, p in r.sendAppend(to: p) }
    }

    mutating func sendAppend(to: NodeID) { _ = maybeSendAppend(to: to, sendIfEmpty: true) }

    /// Sends entries (or a snapshot) to `to` if its flow control allows.
    mutating func maybeSendAppend(to: NodeID, sendIfEmpty: Bool) -> Bool {
        // Taken out while modified (see stepLeader); put back on every path.
        guard var pr = progress.removeValue(forKey: to) else { return false }
        defer { progress[to] = pr }
        if pr.isPaused { return false }
        let prevIndex = pr.next - 1
        let prevTerm: UInt64
        let ents: [Entry]
        do {
            prevTerm = try log.term(prevIndex)
            ents = try log.entries(from: pr.next, maxBytes: cfg.maxSizePerMessage)
        } catch {
            return sendSnapshot(to: to, &pr)
        }
        if ents.isEmpty && !sendIfEmpty { return false }
        send(Message(type: .append, to: to, logTerm: prevTerm, index: prevIndex, entries: ents, commit: log.committed))
        pr.sentEntries(count: ents.count, bytes: ents.reduce(0) { $0 + $1.byteSize })
        return true
    }

    mutating func sendSnapshot(to: NodeID, _ pr: inout Progress) -> Bool {
        guard pr.recentActive else { return false }
        let snap: Snapshot
        do { snap = try log.snapshot() } catch { return false }
        precondition(!snap.isEmpty, "raft: need a non-empty snapshot to catch up \(to)")
        pr.becomeSnapshot(snap.metadata.index)
        outgoingSnapshots[to] = snap
        sendSnapshotChunk(to: to, pr)
        return true
    }

    /// Sends the next chunk of the snapshot `to` is receiving, from its acknowledged offset.
    mutating func sendSnapshotChunk(to: NodeID, _ pr: Progress) {
        guard let snap = outgoingSnapshots[to], snap.metadata.index == pr.pendingSnapshot else { return }
        let total = UInt64(snap.data.count)
        let start = Int(min(pr.snapshotOffset, total))
        let end = min(snap.data.count, start + max(1, cfg.maxSnapshotChunkBytes))
        let chunk = SnapshotChunk(metadata: snap.metadata, offset: UInt64(start), totalSize: total,
                                  data: Array(snap.data[start..<end]))
        send(Message(type: .snapshotChunk, to: to, snapshot: chunk))
    }

    mutating func sendHeartbeat(to: NodeID, context: [UInt8]) {
        let commit = min(progress[to]?.match ?? 0, log.committed)
        send(Message(type: .heartbeat, to: to, commit: commit, context: context))
    }

    mutating func bcastHeartbeat(context: [UInt8] = []) {
        forEachPeer { r, p in r.sendHeartbeat(to: p, context: context) }
    }

    mutating func sendTimeoutNow(to: NodeID) {
        send(Message(type: .timeoutNow, to: to))
    }

    /// Advances the commit index to what a majority of voters has.
    mutating func maybeCommit() -> Bool {
        let voters = config.voters
        let mci = Quorum.committedIndex(voters: voters) { progress[$0]?.match ?? 0 }
        if mci == UInt64.max { return false }
        let ignoreTerm = cfg.unsafeTestingFlags.contains(.commitPriorTermByCount)
        let advanced = log.maybeCommit(mci, term: term, ignoreTerm: ignoreTerm)
        if advanced { afterLeaderCommit() }
        return advanced
    }

    mutating func afterLeaderCommit() {
        if !pendingReadIndexMessages.isEmpty && committedEntryInCurrentTerm {
            let pending = pendingReadIndexMessages
            pendingReadIndexMessages = []
            for m in pending { handleReadIndexAtLeader(m) }
        }
        // A leader that is no longer a voter steps down once the change is committed,
        // handing leadership to the most up-to-date voter.
        if role == .leader && !config.isVoter(id) && configHistory[configHistory.count - 1].index <= log.committed {
            let last = log.lastIndex()
            let target = config.voters.first { progress[$0]?.match == last }
            bcastAppend()
            if let t = target { sendTimeoutNow(to: t) }
            becomeFollower(term: term, lead: noneNode)
        }
    }

    var committedEntryInCurrentTerm: Bool { log.zeroTermOnCompacted(log.committed) == term }
}
