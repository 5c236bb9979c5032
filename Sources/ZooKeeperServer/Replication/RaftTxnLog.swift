import Dispatch
import Foundation
import Logging
import NIOCore
import RaftCore
import RaftStorage
import ZNodeStore
import ZooKeeperWire

/// The Raft-backed write boundary: every txn is a Raft log entry; it is applied (and its
/// client answered) only once committed and persisted. Runs on the server's event loop:
/// proposals made while handling one burst of client reads share one `Ready`, so one
/// persist (one fsync) covers them all.
final class RaftTxnLog: TxnLog, @unchecked Sendable {
    private var node: RawNode
    private let store: any RaftLogStore
    unowned let applier: any TxnApplier
    let eventLoop: any EventLoop
    let clock: @Sendable () -> Int64
    let logger: Logger
    let origin: Int32
    /// Sends Raft messages to peers (empty for a single node); returns those it could not
    /// queue (Raft retries its own; a forwarded proposal is answered CONNECTIONLOSS).
    var send: ([Message]) -> [Message] = { _ in [] }

    private var waiting: [UInt64: (Txn, ApplyResult) -> Void] = [:]
    private var nextProposal: UInt64 = 1
    private var readyScheduled = false
    private var ticker: RepeatedTask?
    private(set) var appliedIndex: UInt64 = 0
    /// Take a snapshot (and compact the log) every this many applied entries (`snapCount`).
    var snapCount: UInt64 = 100_000
    /// Entries kept behind a snapshot so that slightly lagging followers need no snapshot.
    var entriesKeptAfterSnapshot: UInt64 = 5_000
    private(set) var snapshotIndex: UInt64 = 0
    /// Like ZooKeeper, a snapshot due while another one is still being taken is skipped,
    /// not started right after it: the next is due at the following multiple of
    /// `snapCount` past the last one's index. (Starting at once would make a big state's
    /// snapshots back to back under a steady write load.)
    private var noSnapshotBefore: UInt64 = 0

    /// Called when this node's role or the known leader changes.
    var onRoleChange: (NodeRole, UInt64) -> Void = { _, _ in }
    private var proposedAt: [UInt64: Int64] = [:]
    /// A proposal not applied within this many ms is answered CONNECTIONLOSS (it may have
    /// been dropped by a leader change; the client retries).
    var proposalTimeoutMs: Int64 = 10_000
    private var nextReadId: UInt64 = 1
    private var readWaiters: [UInt64: () -> Void] = [:]
    private var readsAtIndex: [(index: UInt64, waiter: () -> Void)] = []

    init(nodeId: UInt64, peers: [UInt64], learners: [UInt64] = [], store: any RaftLogStore, applier: any TxnApplier, applied: UInt64,
         eventLoop: any EventLoop, clock: @escaping @Sendable () -> Int64, logger: Logger, seed: UInt64) throws {
        var cfg = RaftConfig(id: nodeId, peers: peers)
        cfg.learners = learners
        cfg.applied = applied
        // With the 50 ms tick of `start`, an election starts 0.5–1 s after the leader goes quiet.
        cfg.electionTick = 10
        cfg.heartbeatTick = 1
        self.node = try RawNode(config: cfg, storage: store, random: SplitMix64(seed: seed))
        self.store = store
        self.applier = applier
        self.eventLoop = eventLoop
        self.clock = clock
        self.logger = logger
        self.origin = Int32(truncatingIfNeeded: nodeId)
        self.appliedIndex = applied
        self.snapshotIndex = applied
        // Compacting after a big snapshot drops ~snapCount entries: free them off the loop.
        if let disk = store as? DiskStorage {
            disk.releaseCompactedEntries = { dropped in Self.snapshotQueue.async { _ = dropped.count } }
            let log = logger
            disk.removeObsoleteSegments = { paths in
                Self.snapshotQueue.async {
                    do { try DiskStorage.removeFiles(paths) } catch { log.warning("cannot delete old WAL segments: \(error)") }
                }
            }
        }
        // Proposal ids must not repeat across restarts: replayed entries carry old ones.
        self.nextProposal = UInt64(max(0, clock())) << 16
    }

    // MARK: membership (reconfig)

    /// The servers `/zookeeper/config` lists (nil: no dynamic membership). On the leader,
    /// Raft's configuration is moved towards it one server at a time.
    var desiredMembers: () -> Set<UInt64>? = { nil }
    /// The members of `desiredMembers` that are observers (Raft learners); the rest vote.
    var desiredObservers: () -> Set<UInt64> = { [] }
    /// Called every tick to give the transport the committed members' addresses.
    var peerAddresses: () -> Void = {}
    /// A joining server becomes a voter once its log is within this many entries of the
    /// leader's commit index (until then it is a learner: it cannot stall the quorum).
    var promoteWithinEntries: UInt64 = 64
    private var membershipWaiters: [(ids: Set<UInt64>, deadline: Int64, done: (Bool) -> Void)] = []
    /// How long a reconfig waits for Raft's configuration to follow `/zookeeper/config`.
    var membershipTimeoutMs: Int64 = 15_000

    /// Whether Raft's configuration (the latest in this node's log) has exactly `ids`, or
    /// no longer has this node when `ids` does not either (a removed node may never learn
    /// the rest).
    func membershipMatches(_ ids: Set<UInt64>) -> Bool {
        let c = node.configuration
        let all = Set(c.voters).union(c.learners)
        if !ids.contains(node.id) && !all.contains(node.id) { return true }
        // Joined participants must have been promoted from learner to voter too.
        return all == ids && Set(c.voters) == ids.subtracting(desiredObservers())
    }

    /// Calls `done(true)` once `membershipMatches(ids)`, or `done(false)` after `membershipTimeoutMs`.
    func waitForMembership(_ ids: Set<UInt64>, _ done: @escaping (Bool) -> Void) {
        eventLoop.assertInEventLoop()
        if membershipMatches(ids) { done(true); return }
        membershipWaiters.append((ids, clock() + membershipTimeoutMs, done))
        reconcileMembership()
    }

    private func releaseMembershipWaiters() {
        guard !membershipWaiters.isEmpty else { return }
        let now = clock()
        var still: [(ids: Set<UInt64>, deadline: Int64, done: (Bool) -> Void)] = []
        for w in membershipWaiters {
            if membershipMatches(w.ids) { w.done(true) } else if now > w.deadline { w.done(false) } else { still.append(w) }
        }
        membershipWaiters = still
    }

    /// Leader only: proposes the next single-server change that brings Raft's configuration
    /// closer to `desiredMembers` (removals of other servers first, this leader last; it
    /// then steps down); joining servers are added as learners and promoted to voters once
    /// caught up (observers stay learners).
    private func reconcileMembership() {
        guard node.canChangeConfiguration, let desired = desiredMembers(), desired.count >= 2 else { return }
        let c = node.configuration
        let current = c.voters + c.learners
        let change: ConfChange
        let observers = desiredObservers()
        if let extra = current.first(where: { !desired.contains($0) && $0 != node.id }) {
            change = .remove(extra)
        } else if let joiner = desired.sorted().first(where: { !current.contains($0) }) {
            // A new server starts as a learner: it catches up (entries or a snapshot)
            // without counting towards the quorum.
            change = .addLearner(joiner)
        } else if let ready = c.learners.sorted().first(where: { desired.contains($0) && !observers.contains($0) && caughtUp($0) }) {
            change = .addVoter(ready)
        } else if let demoted = c.voters.sorted().first(where: { observers.contains($0) && $0 != node.id }) {
            change = .addLearner(demoted)
        } else if !desired.contains(node.id), current.contains(node.id), c.voters.contains(where: { $0 != node.id }) {
            change = .remove(node.id)
        } else {
            return
        }
        do {
            try node.proposeConfChange(change)
            logger.info("reconfig: proposing \(change) (configuration \(c.voters) voters, \(c.learners) learners → /zookeeper/config \(desired.sorted()))")
            scheduleReady()
        } catch {
            logger.warning("reconfig: cannot propose \(change): \(error)")
        }
    }

    /// Whether a learner's log is close enough to the leader's commit index to vote.
    private func caughtUp(_ id: UInt64) -> Bool {
        guard let p = node.progressDescription.first(where: { $0.id == id }) else { return false }
        return p.match + promoteWithinEntries >= node.committed
    }

    /// Starts ticking; a single voter campaigns at once instead of waiting a timeout.
    func start(tick: TimeAmount) {
        eventLoop.assertInEventLoop()
        if node.configuration.voters == [node.id] {
            node.campaign()
        }
        ticker = eventLoop.scheduleRepeatedTask(initialDelay: tick, delay: tick) { [unowned self] _ in
            self.node.tick()
            self.peerAddresses()
            self.reconcileMembership()
            self.processReady()
            self.expireStaleProposals()
            self.readBackIfQuiet()
            // Also with no entries at all: a snapshot still running after the load stopped
            // goes at full speed again.
            self.measureLoad()
            self.releaseMembershipWaiters()
        }
        processReady()
    }

    func stop() {
        ticker?.cancel()
        ticker = nil
        // Let a WAL fsync in flight finish (its completion is queued on the loop before the
        // loop shuts down, not after it: NIO refuses tasks on a closed loop).
        Self.fsyncQueue.sync {}
    }

    var isLeader: Bool { node.role == .leader }
    var status: Status { node.status }
    var firstIndex: UInt64 { node.firstIndex }
    var lastIndex: UInt64 { node.lastIndex }
    func term(at index: UInt64) -> UInt64 { node.logTerm(at: index) ?? 0 }
    var pendingProposals: Int { waiting.count }
    var followerProgress: [(id: UInt64, match: UInt64, next: UInt64, state: String)] { node.progressDescription }

    /// `rqld`: ask for leadership (forwarded to the leader, which transfers it here).
    func requestLeadership() {
        node.transferLeadership(to: node.id)
        scheduleReady()
    }

    /// `ydld`: a leader hands leadership to its most up-to-date voter.
    func yieldLeadership() -> Bool {
        guard isLeader else { return false }
        let candidates = node.progressDescription.filter { $0.id != node.id && node.configuration.isVoter($0.id) }
        guard let best = candidates.max(by: { $0.match < $1.match }) else { return false }
        node.transferLeadership(to: best.id)
        scheduleReady()
        return true
    }

    func append(sessionId: Int64, cxid: Int32, kind: TxnKind, completion: @escaping (Txn, ApplyResult) -> Void) {
        eventLoop.assertInEventLoop()
        let proposal = nextProposal
        nextProposal += 1
        let logged = LoggedTxn(origin: origin, proposal: proposal, sessionId: sessionId, cxid: cxid, time: clock(), kind: kind)
        if node.role == .follower, node.leader != noneNode {
            // Forwarded straight to the leader, batched per loop turn: Raft's own path
            // (propose → Ready) would hold it behind this node's WAL fsync in flight.
            waiting[proposal] = completion
            proposedAt[proposal] = logged.time
            forwardBatch.append(Entry(term: 0, index: 0, type: .normal, data: TxnCodec.encode(logged, scratch: &encodeScratch)))
            forwardedProposals.append(proposal)
            if forwardBatch.count == 1 { eventLoop.execute { [self] in forwardNow() } }
            return
        }
        let position: (term: UInt64, index: UInt64)?
        do {
            position = try node.propose(TxnCodec.encode(logged, scratch: &encodeScratch))
        } catch {
            logger.warning("proposal dropped (\(error)): no leader")
            completion(logged.txn(zxid: applier.lastAppliedZxid), .failure(.connectionLoss))
            return
        }
        waiting[proposal] = completion
        proposedAt[proposal] = logged.time
        if let position {
            // The entry is ours at (term, index) as leader: apply it without decoding it again.
            proposedHere[position.index] = (position.term, logged)
        }
        scheduleReady()
    }

    /// Proposals this follower made in the current loop turn (entries and their proposal
    /// ids), sent to the leader as one message at its end.
    private var forwardBatch: [Entry] = []
    private var forwardedProposals: [UInt64] = []

    private func forwardNow() {
        let batch = forwardBatch, proposals = forwardedProposals
        forwardBatch = []
        forwardedProposals = []
        guard !batch.isEmpty else { return }
        let leader = node.leader
        // The leader may have gone away during this turn (the proposals pending then were
        // failed if the change was seen; these are answered now). A forward the transport
        // could not queue (no connection, or the link is backed up) never reaches the log:
        // its clients are answered now rather than after `proposalTimeoutMs`.
        if leader == noneNode || node.role != .follower
            || !send([Message(type: .propose, to: leader, from: node.id, entries: batch)]).isEmpty {
            failForwarded(proposals, leader: leader)
        }
    }

    /// Reused by every `append` (on the event loop): encoding a txn allocates only its array.
    private var encodeScratch = ByteBuffer()

    /// Txns this leader proposed, by log index, until applied (or dropped at a leader change).
    private var proposedHere: [UInt64: (term: UInt64, txn: LoggedTxn)] = [:]

    /// Runs `done` once this node has applied everything committed at the time of the call
    /// (Raft ReadIndex): a read after it is linearizable.
    func readBarrier(_ done: @escaping () -> Void) {
        eventLoop.assertInEventLoop()
        let id = nextReadId
        nextReadId += 1
        var ctx: [UInt8] = []
        for i in 0..<8 { ctx.append(UInt8(truncatingIfNeeded: id >> (8 * UInt64(i)))) }
        readWaiters[id] = done
        node.readIndex(context: ctx)
        scheduleReady()
    }

    private var knownLeader: UInt64 = 0

    /// A proposal forwarded to a leader that is gone may never commit; answer its client
    /// CONNECTIONLOSS now (the outcome is unknown, as ZooKeeper's clients expect) rather
    /// than hold the session's later requests behind it.
    private func failPendingProposals(reason: String) {
        proposedHere = [:]
        guard !waiting.isEmpty else { return }
        let all = waiting.keys.sorted()
        logger.info("\(reason): answering \(all.count) pending writes CONNECTIONLOSS")
        for p in all {
            proposedAt[p] = nil
            if let completion = waiting.removeValue(forKey: p) {
                completion(Txn(sessionId: 0, zxid: applier.lastAppliedZxid, time: clock(), kind: .closeSession), .failure(.connectionLoss))
            }
        }
    }

    private func failForwarded(_ proposals: [UInt64], leader: UInt64) {
        let failed = proposals.filter { waiting[$0] != nil }
        guard !failed.isEmpty else { return }
        logger.warning("\(failed.count) forwarded writes not sent to leader \(leader) (not connected or not keeping up); answering CONNECTIONLOSS")
        for p in failed {
            proposedAt[p] = nil
            if let completion = waiting.removeValue(forKey: p) {
                completion(Txn(sessionId: 0, zxid: applier.lastAppliedZxid, time: clock(), kind: .closeSession), .failure(.connectionLoss))
            }
        }
    }

    private func expireStaleProposals() {
        let now = clock()
        let stale = proposedAt.filter { now - $0.value > proposalTimeoutMs }.map(\.key).sorted()
        for p in stale {
            proposedAt[p] = nil
            if let completion = waiting.removeValue(forKey: p) {
                logger.warning("proposal \(p) not committed within \(proposalTimeoutMs)ms; answering CONNECTIONLOSS")
                completion(Txn(sessionId: 0, zxid: applier.lastAppliedZxid, time: now, kind: .closeSession), .failure(.connectionLoss))
            }
        }
    }

    /// Messages from peers.
    func receive(_ m: Message) {
        try? node.step(m)
        scheduleReady()
    }

    private func scheduleReady() {
        guard !readyScheduled else { return }
        readyScheduled = true
        eventLoop.execute { [unowned self] in
            self.readyScheduled = false
            self.processReady()
        }
    }

    /// A WAL fsync is running off the event loop; Ready processing resumes when it is done.
    /// Meanwhile the loop keeps reading requests and proposing them, so the next Ready
    /// carries everything that arrived during the fsync (group commit, pipelined).
    private var syncInFlight = false
    private static let fsyncQueue = DispatchQueue(label: "tusk.wal-fsync")

    /// persist → (fsync) → send → apply → advance, until Raft has nothing more to do.
    func processReady() {
        while !syncInFlight, node.hasReady() {
            let rd = node.ready()
            if let ss = rd.softState {
                if ss.leader != knownLeader {
                    knownLeader = ss.leader
                    failPendingProposals(reason: "leader changed to \(ss.leader)")
                }
                onRoleChange(ss.role, ss.leader)
            }
            let pendingSync: (@Sendable () throws -> Void)?
            do {
                pendingSync = try store.persistDeferringSync(entries: rd.entries, hardState: rd.hardState, snapshot: rd.snapshot, sync: rd.mustSync)
                if let snap = rd.snapshot {
                    // A snapshot from the leader replaces the whole state.
                    logger.info("installing snapshot at index \(snap.metadata.index) (\(snap.data.count) bytes) from the leader")
                    cancelSnapshot()
                    try applier.restore(snapshot: snap.data)
                    appliedIndex = snap.metadata.index
                    snapshotIndex = snap.metadata.index
                }
            } catch {
                persistFailed(error)
            }
            if let pendingSync {
                // A leader replicates while its own fsync runs (Raft thesis §10.2.1). Acks
                // that arrive meanwhile may advance its commit index, but nothing leaves
                // this node (no message, apply or reply) before the next Ready, which waits
                // for this sync. Everyone else acknowledges entries, so it must wait for the
                // fsync first. A changed term or vote is already durable (syncBegin writes
                // it at once).
                var rest = rd
                if node.role == .leader, !rest.messages.isEmpty {
                    _ = send(rest.messages)
                    rest.messages = []
                } else if rest.messages.contains(where: { $0.type == .readIndex }) {
                    // A forwarded read promises nothing about this node's log: it goes to
                    // the leader now, not after this fsync. (Forwarded proposals do not
                    // come through here: see `forwardNow`.)
                    _ = send(rest.messages.filter { $0.type == .readIndex })
                    rest.messages.removeAll { $0.type == .readIndex }
                }
                let afterSync = rest
                syncInFlight = true
                let loop = eventLoop
                Self.fsyncQueue.async {
                    let failure: (any Error)?
                    do { try pendingSync(); failure = nil } catch { failure = error }
                    loop.execute { [self] in
                        if let failure { persistFailed(failure) }
                        syncInFlight = false
                        finishReady(afterSync)
                        processReady()
                    }
                }
                return
            }
            finishReady(rd)
        }
    }

    private func persistFailed(_ error: any Error) -> Never {
        // The log cannot be trusted any more: stop rather than answer from memory.
        logger.critical("cannot persist the Raft log: \(error); stopping")
        fatalError("cannot persist the Raft log: \(error)")
    }

    /// The part of a Ready that needs its entries durable first.
    private func finishReady(_ rd: Ready) {
        if !rd.messages.isEmpty { _ = send(rd.messages) }
        func applyCommitted() { for entry in rd.committedEntries { apply(entry) } }
        if let walk = snapshotInProgress?.offLoop, !rd.committedEntries.isEmpty {
            // The walker reads the tree meanwhile: keep it out while this batch changes it.
            walk.excludingWalk(applyCommitted)
        } else {
            applyCommitted()
        }
        if !rd.committedEntries.isEmpty {
            lastApplyNs = DispatchTime.now().uptimeNanoseconds
            measureLoad(now: lastApplyNs)
            if releaseAppliedPayloads { store.releasePayloads(through: appliedIndex) }
        }
        for rs in rd.readStates {
            var id: UInt64 = 0
            for (i, byte) in rs.context.prefix(8).enumerated() { id |= UInt64(byte) << (8 * UInt64(i)) }
            if let waiter = readWaiters.removeValue(forKey: id) { readsAtIndex.append((rs.index, waiter)) }
        }
        node.advance(rd)
        releaseReads()
        releaseMembershipWaiters()
        if snapshotInProgress == nil && appliedIndex >= snapshotIndex + snapCount && appliedIndex >= noSnapshotBefore {
            takeSnapshot()
        }
    }

    /// The snapshot being taken: walked in slices on the loop while its chunks are written
    /// to the file on `snapshotQueue`, then adopted (and the log compacted) back on the loop.
    private typealias SnapshotRun = (index: UInt64, metadata: SnapshotMetadata, job: any SnapshotJob,
                                     file: SnapshotFileStream?, started: UInt64, slices: Int, longestSliceNs: UInt64,
                                     appliedAtLastSlice: UInt64, offLoop: (any OffLoopSnapshotJob)?)
    private var snapshotInProgress: SnapshotRun?
    private static let snapshotQueue = DispatchQueue(label: "tusk.snapshot")
    /// Longest stretch of one snapshot walk slice on the event loop.
    var snapshotSliceNs: UInt64 = 2_000_000
    /// The pause after a walk slice while entries are being applied: the walk then takes
    /// at most a quarter of the loop (2 ms of every 8). Under a steady write load on a
    /// big tree snapshots run back to back (one falling due while one runs is skipped),
    /// so the walk's share of the loop is what the clients lose: at 80 % (0.5 ms pauses)
    /// set 100 B on 2.3M znodes did 60k ops/s with p99 40 ms, at 25 % 71-89k with p99
    /// 9-17 ms. Snapshots then come less often, as ZooKeeper's do when its snapshot
    /// thread is slower than the write rate. With no writes the pause is 0.5 ms.
    var snapshotBusyGapUs: Int64 = 6_000
    /// Under a light write load (fewer than `lightLoadEntries` applied since the last
    /// slice) the walk runs in slices of this length, with gaps of `snapshotLightGapNs`: the
    /// same quarter of the loop, but a request that arrives during a slice waits at most
    /// this long. With 2 ms slices, one-at-a-time sets on a 3M-znode store had p99 2.2–2.4
    /// ms in the 8 s runs a snapshot overlapped (0.33–0.38 ms in the others).
    var snapshotLightSliceNs: UInt64 = 250_000
    var snapshotLightGapNs: Int64 = 750_000
    var lightLoadEntries: UInt64 = 64
    /// A node without followers (standalone: no reconfig, no learners) never reads an
    /// applied entry again: its data is dropped from memory once applied (the WAL keeps
    /// it for a restart). The entries since the last snapshot (up to snapCount plus the
    /// ones a running snapshot walk lets pile up) held ~23 MiB after loading 1M znodes
    /// of 100 B, and on a busy 3M-znode store hundreds of MiB.
    var releaseAppliedPayloads = false
    /// How long no entry may have been applied before the newest snapshot's file is read
    /// back into the page cache (`readBackIfQuiet`).
    var snapshotReadBackDelay: TimeAmount = .milliseconds(500)
    /// The newest snapshot's file, until it was read back.
    private var pendingReadBack: (index: UInt64, path: String)?
    /// When entries were last applied (uptime ns).
    private var lastApplyNs: UInt64 = 0
    /// Snapshot files read back (tests).
    private(set) var snapshotsReadBack = 0
    /// Size of the pieces a snapshot is handed to its file in.
    static let snapshotChunkBytes = 1 << 20
    /// The last completed snapshot: loop time of its walk (ms), slices, longest slice (ms).
    private(set) var lastSnapshotStats: (index: UInt64, bytes: Int, walkSlices: Int, longestSliceMs: Double, totalMs: Double)?

    /// Starts a snapshot of the applied state (the log is compacted behind it once its
    /// file is durable). Returns the index it covers; a snapshot already in progress is
    /// not restarted.
    @discardableResult
    func takeSnapshot() -> UInt64 {
        if let s = snapshotInProgress { return s.index }
        let index = appliedIndex
        guard index > snapshotIndex else { return snapshotIndex }
        let metadata = SnapshotMetadata(index: index, term: node.logTerm(at: index) ?? 0, configuration: node.configuration)
        let job = applier.beginSnapshot()
        var file: SnapshotFileStream?
        do {
            file = try store.snapshotStream(metadata)
        } catch {
            applier.endSnapshot(job)
            logger.error("snapshot at index \(index) failed: \(error)")
            return snapshotIndex
        }
        if let file {
            file.maxBytesPerSecond = snapshotFilePace
            weak let weakJob = job
            job.stream(chunkSize: Self.snapshotChunkBytes) { chunk in
                Self.snapshotQueue.async {
                    chunk.forEachPiece { file.append($0) }
                    weakJob?.recycle(chunk)
                }
            }
        }
        if walkSnapshotsOffLoop, let file, let offLoop = job as? any OffLoopSnapshotJob {
            offLoop.moveWalkOffLoop()
            snapshotInProgress = (index, metadata, job, file, DispatchTime.now().uptimeNanoseconds, 0, 0, appliedIndex, offLoop)
            startWalker(offLoop, file: file)
            return index
        }
        // As if one entry arrived since the "previous slice": the first slice is a light one.
        snapshotInProgress = (index, metadata, job, file, DispatchTime.now().uptimeNanoseconds, 0, 0, appliedIndex &- 1, nil)
        continueSnapshot()
        return index
    }

    /// Walks snapshots on a thread of their own (`OffLoopSnapshotJob`), so the event loop
    /// only pauses the walker while it applies entries; otherwise the walk runs in slices
    /// on the loop (`continueSnapshot`). The walk took a fifth of the loop's time under a
    /// steady write load on a 3M-znode store, and the other core had room for it.
    var walkSnapshotsOffLoop = false
    /// Pace of snapshot file writes under a heavy write load (0: as fast as the disk takes
    /// them). Under a light load the file goes at full speed: the walk then overlaps fewer
    /// requests (one-at-a-time sets had p99 0.6–0.9 ms in runs a paced snapshot of 900 MB
    /// overlapped, 0.44–0.56 ms unpaced).
    var snapshotWriteBytesPerSecond = 0
    /// Entries applied per second from which the load counts as heavy.
    var heavyWriteLoad = 10_000
    /// Entries applied in the current 100 ms window and when it began; whether the last
    /// window's load was heavy.
    private var loadWindow: (start: UInt64, applied: UInt64) = (0, 0)
    private var heavyLoad = false
    /// The pace for a snapshot file now.
    private var snapshotFilePace: Int { heavyLoad ? snapshotWriteBytesPerSecond : 0 }

    /// Measures the write load (on each Ready with entries, and on every tick) and paces
    /// the running snapshot's file by it.
    private func measureLoad(now: UInt64 = DispatchTime.now().uptimeNanoseconds) {
        let elapsed = now &- loadWindow.start
        guard elapsed >= 100_000_000 else { return }
        // A window much longer than 100 ms had no entries for most of it: light.
        heavyLoad = elapsed < 1_000_000_000
            && Double(appliedIndex &- loadWindow.applied) * 1e9 / Double(elapsed) >= Double(heavyWriteLoad)
        loadWindow = (now, appliedIndex)
        snapshotInProgress?.file?.maxBytesPerSecond = snapshotFilePace
    }
    /// The walker thread's nice value: under a full load it yields the CPU to the loop
    /// and the clients, and the snapshot takes longer instead.
    var snapshotWalkerNice: Int32 = 5

    private func startWalker(_ job: any OffLoopSnapshotJob, file: SnapshotFileStream) {
        let loop = eventLoop
        let nice = snapshotWalkerNice
        let thread = Thread { [self] in
            // Named from inside: on Linux, Foundation names the OS thread only for the current one.
            Thread.current.name = "tusk-snap-walk"
            #if os(Linux)
            // PRIO_PROCESS with 0 is the calling thread on Linux (nice is per thread).
            if nice != 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice) }
            #endif
            let done = job.walk(stepNodes: 32, sliceNs: 200_000) { chunk in
                chunk.forEachPiece { file.append($0) }
                job.recycle(chunk)
            }
            loop.execute { [self] in
                if done, let s = snapshotInProgress, s.job === job {
                    walkFinished(s)
                    return
                }
                // Abandoned (an installed snapshot replaced the state): the file goes; the
                // walker no longer touches it.
                Self.snapshotQueue.async { file.abort() }
            }
        }
        thread.start()
    }

    private func continueSnapshot() {
        guard var s = snapshotInProgress else { return }
        // What was applied since the previous slice sets this slice's length and the pause after it.
        let applied = appliedIndex &- s.appliedAtLastSlice
        let writing = applied > 0
        let light = writing && applied < lightLoadEntries
        let sliceStart = DispatchTime.now().uptimeNanoseconds
        let sliceNs = light ? snapshotLightSliceNs : snapshotSliceNs
        var done = false
        var now = sliceStart
        repeat {
            done = s.job.step(maxNodes: light ? 64 : 512)
            now = DispatchTime.now().uptimeNanoseconds
        } while !done && !s.job.isWaiting && now - sliceStart < sliceNs
        s.slices += 1
        s.longestSliceNs = max(s.longestSliceNs, now - sliceStart)
        s.appliedAtLastSlice = appliedIndex
        snapshotInProgress = s
        let job = s.job
        guard done else {
            // Let the loop serve I/O and apply entries before the next slice (a little
            // later when the walk waits for a big child list sorted in the background).
            let next: @Sendable () -> Void = { [self] in
                if let current = snapshotInProgress, current.job === job { continueSnapshot() }
            }
            // Not `execute`: NIO runs tasks queued by tasks before it polls sockets again,
            // so back-to-back slices would starve the clients. A task due in the future
            // lets the loop poll (and serve) first.
            let gap: TimeAmount = job.isWaiting ? .milliseconds(2)
                : light ? .nanoseconds(snapshotLightGapNs)
                : writing ? .microseconds(snapshotBusyGapUs) : .microseconds(500)
            eventLoop.scheduleTask(in: gap, next)
            return
        }
        walkFinished(s)
    }

    /// The walk is done: the rest of the file is written, then the snapshot adopted.
    private func walkFinished(_ s: SnapshotRun) {
        let job = s.job
        applier.endSnapshot(job)
        let metadata = s.metadata
        guard let file = s.file else {
            let data = job.finish()
            snapshotWritten(job, metadata, bytes: data.count, failure: nil) { [store] in
                try store.recordSnapshot(index: metadata.index, configuration: metadata.configuration, data: data)
            }
            return
        }
        job.flush()
        let loop = eventLoop
        Self.snapshotQueue.async {
            // After the chunks queued before: the header, fsync and rename happen here.
            var path = ""
            let failure: (any Error)?
            do {
                path = try file.finish()
                failure = nil
            } catch { failure = error }
            #if os(Linux)
            // Hand the chunk buffers' pages back to the system.
            _ = glibcMallocTrim(0)
            #endif
            let bytes = Int(file.bytesWritten)
            loop.execute { [self, path] in
                snapshotWritten(job, metadata, bytes: bytes, failure: failure) { [store] in
                    try store.adoptWrittenSnapshot(metadata, file: path)
                }
                if snapshotIndex == metadata.index { pendingReadBack = (metadata.index, path) }
            }
        }
    }

    private func snapshotWritten(_ job: any SnapshotJob, _ metadata: SnapshotMetadata, bytes: Int, failure: (any Error)?,
                                 adopt: () throws -> Void) {
        guard var s = snapshotInProgress, s.job === job else { return }  // cancelled by an installed snapshot
        snapshotInProgress = nil
        let index = metadata.index
        if appliedIndex >= index + snapCount {
            noSnapshotBefore = index + (appliedIndex - index) / snapCount * snapCount + snapCount
        }
        if let failure {
            logger.error("snapshot at index \(index) failed: \(failure)")
            return
        }
        guard !job.isAbandoned, index > snapshotIndex else { return }
        do {
            let adoptStart = DispatchTime.now().uptimeNanoseconds
            try adopt()
            let adoptedNs = DispatchTime.now().uptimeNanoseconds - adoptStart
            snapshotIndex = index
            if index > entriesKeptAfterSnapshot {
                try store.compactLog(upTo: index - entriesKeptAfterSnapshot)
            }
            let adoptNs = DispatchTime.now().uptimeNanoseconds - adoptStart
            s.longestSliceNs = max(s.longestSliceNs, adoptNs)
            let totalMs = Double(DispatchTime.now().uptimeNanoseconds - s.started) / 1e6
            let sliceMs = Double(s.longestSliceNs) / 1e6
            lastSnapshotStats = (index, bytes, s.slices, sliceMs, totalMs)
            let walk: String
            if let gate = s.offLoop?.gate {
                walk = "walked on its own thread; the loop waited for it \(gate.loopWaits) times, \(String(format: "%.1f", Double(gate.loopWaitNs) / 1e6)) ms in all, longest \(String(format: "%.2f", Double(gate.longestLoopWaitNs) / 1e6)) ms"
            } else {
                walk = "\(s.slices) walk slices on the event loop, longest \(String(format: "%.1f", sliceMs)) ms"
            }
            logger.info("snapshot at index \(index): \(bytes) bytes in \(Int(totalMs)) ms (\(walk); adopt \(String(format: "%.1f", Double(adoptedNs) / 1e6)) ms + compact \(String(format: "%.1f", Double(adoptNs - adoptedNs) / 1e6)) ms)")
        } catch {
            logger.error("snapshot at index \(index) failed: \(error)")
        }
    }

    /// Once no entry has been applied for `snapshotReadBackDelay` (checked every tick), has
    /// the newest snapshot file read back into the page cache (written with O_DIRECT, it
    /// is only on disk), so a restart reads it from memory. While writes flow, a newer
    /// snapshot follows within seconds, and reading each back (an ensemble member at 28k
    /// sets/s would read ~110 MB every few seconds) only adds disk traffic for the WAL's
    /// fsyncs to wait behind.
    private func readBackIfQuiet() {
        guard let pending = pendingReadBack, snapshotInProgress == nil else { return }
        guard snapshotIndex == pending.index else { pendingReadBack = nil; return }
        guard DispatchTime.now().uptimeNanoseconds - lastApplyNs >= UInt64(snapshotReadBackDelay.nanoseconds) else { return }
        pendingReadBack = nil
        snapshotsReadBack += 1
        Self.snapshotQueue.async { SnapshotFileStream.readBack(pending.path) }
    }

    /// Abandons the snapshot in progress (the state it walks is being replaced).
    private func cancelSnapshot() {
        guard let s = snapshotInProgress else { return }
        snapshotInProgress = nil
        applier.endSnapshot(s.job)
        // A walker thread still appends to its file: it removes it once it stops.
        if let file = s.file, s.offLoop == nil { Self.snapshotQueue.async { file.abort() } }
    }

    private func releaseReads() {
        guard !readsAtIndex.isEmpty else { return }
        let ready = readsAtIndex.filter { $0.index <= appliedIndex }
        readsAtIndex.removeAll { $0.index <= appliedIndex }
        for r in ready { r.waiter() }
    }

    private func apply(_ entry: Entry) {
        defer { appliedIndex = entry.index }
        guard entry.type == .normal, !entry.data.isEmpty else { return }
        let logged: LoggedTxn
        if let mine = proposedHere.removeValue(forKey: entry.index), mine.term == entry.term {
            logged = mine.txn
        } else {
            do {
                logged = try TxnCodec.decode(entry.data)
            } catch {
                logger.critical("undecodable log entry at index \(entry.index): \(error); stopping")
                fatalError("undecodable log entry at index \(entry.index): \(error)")
            }
        }
        let txn = logged.txn(zxid: TxnCodec.zxid(term: entry.term, index: entry.index))
        let result = applier.applyCommitted(txn)
        if logged.origin == origin, let completion = waiting.removeValue(forKey: logged.proposal) {
            proposedAt[logged.proposal] = nil
            completion(txn, result)
        }
    }
}

#if os(Linux)
/// glibc's `malloc_trim` (not in the Glibc module's headers).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif
