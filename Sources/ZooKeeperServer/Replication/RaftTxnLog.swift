import Logging
import NIOCore
import RaftCore
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
    /// Sends Raft messages to peers (empty for a single node).
    var send: ([Message]) -> Void = { _ in }

    private var waiting: [UInt64: (Txn, ApplyResult) -> Void] = [:]
    private var nextProposal: UInt64 = 1
    private var readyScheduled = false
    private var ticker: RepeatedTask?
    private(set) var appliedIndex: UInt64 = 0

    init(nodeId: UInt64, peers: [UInt64], store: any RaftLogStore, applier: any TxnApplier, applied: UInt64,
         eventLoop: any EventLoop, clock: @escaping @Sendable () -> Int64, logger: Logger, seed: UInt64) throws {
        var cfg = RaftConfig(id: nodeId, peers: peers)
        cfg.applied = applied
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
    }

    /// Starts ticking; a single voter campaigns at once instead of waiting a timeout.
    func start(tick: TimeAmount) {
        eventLoop.assertInEventLoop()
        if node.configuration.voters == [node.id] {
            node.campaign()
        }
        ticker = eventLoop.scheduleRepeatedTask(initialDelay: tick, delay: tick) { [unowned self] _ in
            self.node.tick()
            self.processReady()
        }
        processReady()
    }

    func stop() {
        ticker?.cancel()
        ticker = nil
    }

    var isLeader: Bool { node.role == .leader }
    var status: Status { node.status }

    func append(sessionId: Int64, cxid: Int32, kind: TxnKind, completion: @escaping (Txn, ApplyResult) -> Void) {
        eventLoop.assertInEventLoop()
        let proposal = nextProposal
        nextProposal += 1
        let logged = LoggedTxn(origin: origin, proposal: proposal, sessionId: sessionId, cxid: cxid, time: clock(), kind: kind)
        do {
            try node.propose(TxnCodec.encode(logged))
        } catch {
            logger.warning("proposal dropped (\(error)): no leader")
            completion(logged.txn(zxid: applier.lastAppliedZxid), .failure(.connectionLoss))
            return
        }
        waiting[proposal] = completion
        scheduleReady()
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

    /// persist → send → apply → advance, until Raft has nothing more to do.
    func processReady() {
        while node.hasReady() {
            let rd = node.ready()
            do {
                try store.save(entries: rd.entries, hardState: rd.hardState, snapshot: rd.snapshot, sync: rd.mustSync)
            } catch {
                // The log cannot be trusted any more: stop rather than answer from memory.
                logger.critical("cannot persist the Raft log: \(error); stopping")
                fatalError("cannot persist the Raft log: \(error)")
            }
            if !rd.messages.isEmpty { send(rd.messages) }
            for entry in rd.committedEntries {
                apply(entry)
            }
            node.advance(rd)
        }
    }

    private func apply(_ entry: Entry) {
        defer { appliedIndex = entry.index }
        guard entry.type == .normal, !entry.data.isEmpty else { return }
        let logged: LoggedTxn
        do {
            logged = try TxnCodec.decode(entry.data)
        } catch {
            logger.critical("undecodable log entry at index \(entry.index): \(error); stopping")
            fatalError("undecodable log entry at index \(entry.index): \(error)")
        }
        let txn = logged.txn(zxid: TxnCodec.zxid(term: entry.term, index: entry.index))
        let result = applier.applyCommitted(txn)
        if logged.origin == origin, let completion = waiting.removeValue(forKey: logged.proposal) {
            completion(txn, result)
        }
    }
}
