import Logging
import NIOCore
import RaftCore
import ZNodeStore
import ZooKeeperWire

/// Everything the client connections share: the store, the write log, sessions, stats.
/// Confined to one event loop: every method runs there, so nothing needs a lock and no
/// request hops threads.
final class ServerState: TxnApplier, @unchecked Sendable {
    let config: ServerConfig
    private(set) var store: ZNodeStore
    let eventLoop: any EventLoop
    var logger: Logger
    var log: (any TxnLog)!
    let clock: @Sendable () -> Int64

    /// Connections by the session they carry.
    private(set) var connectionsBySession: [Int64: ClientConnection] = [:]
    /// Every open connection (including 4lw and not-yet-established ones).
    private(set) var connections: [ObjectIdentifier: ClientConnection] = [:]
    private var connectionsPerIP: [String: Int] = [:]
    private var expiry: SessionExpiryQueue
    /// Negotiated timeout of each live session known to this server's tracker.
    private(set) var sessionTimeouts: [Int64: Int32] = [:]
    private var expiring: Set<Int64> = []
    private var nextSessionId: Int64
    var stats = ServerStats()
    let sessionSecret = SessionIds.defaultSecret
    private var timers: [RepeatedTask] = []
    /// The Raft log when there is one (always, outside unit tests).
    var raft: RaftTxnLog?
    /// Links to the other servers of an ensemble.
    var transport: PeerTransport?
    private(set) var role: NodeRole = .follower
    private(set) var leaderId: UInt64 = 0
    /// Sessions with client activity on this follower since the last batch to the leader.
    private var pendingTouches: Set<Int64> = []

    init(config: ServerConfig, eventLoop: any EventLoop, logger: Logger, clock: @escaping @Sendable () -> Int64) {
        self.config = config
        self.eventLoop = eventLoop
        self.logger = logger
        self.clock = clock
        var storeConfig = ZNodeStoreConfig()
        storeConfig.extendedTypesEnabled = config.extendedTypesEnabled
        storeConfig.superDigest = config.superDigest
        self.store = ZNodeStore(config: storeConfig)
        self.expiry = SessionExpiryQueue(interval: Int64(config.tickTime))
        let now = clock()
        self.nextSessionId = SessionIds.firstSessionId(serverId: config.sessionIdServerByte, nowMillis: now)
        self.stats.startedAtMillis = now
    }

    var lastAppliedZxid: Int64 { store.lastZxid }

    // MARK: timers

    func startTimers() {
        eventLoop.assertInEventLoop()
        let tick = TimeAmount.milliseconds(Int64(config.tickTime))
        timers.append(eventLoop.scheduleRepeatedTask(initialDelay: tick, delay: tick) { [unowned self] _ in
            self.expireSessions()
        })
        if transport != nil {
            let half = TimeAmount.milliseconds(Int64(max(config.tickTime / 2, 10)))
            timers.append(eventLoop.scheduleRepeatedTask(initialDelay: half, delay: half) { [unowned self] _ in
                self.sendTouchesToLeader()
            })
        }
        let reap = TimeAmount.milliseconds(Int64(config.containerCheckIntervalMs))
        timers.append(eventLoop.scheduleRepeatedTask(initialDelay: reap, delay: reap) { [unowned self] _ in
            self.reapContainersAndTTLs()
        })
    }

    func stopTimers() {
        for t in timers { t.cancel() }
        timers.removeAll()
    }

    // MARK: connections

    /// Registers a new TCP connection; false when the IP is over `maxClientCnxns`.
    func connectionOpened(_ c: ClientConnection) -> Bool {
        let ip = c.remoteIP
        let count = connectionsPerIP[ip, default: 0]
        if config.maxClientCnxns > 0 && count >= config.maxClientCnxns {
            logger.warning("Too many connections from \(ip) - max is \(config.maxClientCnxns)")
            return false
        }
        connectionsPerIP[ip] = count + 1
        connections[ObjectIdentifier(c)] = c
        return true
    }

    func connectionClosed(_ c: ClientConnection) {
        guard connections.removeValue(forKey: ObjectIdentifier(c)) != nil else { return }
        let ip = c.remoteIP
        if let n = connectionsPerIP[ip] { connectionsPerIP[ip] = n > 1 ? n - 1 : nil }
        if let sid = c.sessionId, connectionsBySession[sid] === c {
            connectionsBySession[sid] = nil
            store.removeAllWatches(sessionId: sid)
            // The session lives on until its timeout; restart its clock from the disconnect.
            if let t = sessionTimeouts[sid] { expiry.touch(sid, timeout: Int64(t), now: clock()) }
        }
    }

    // MARK: sessions

    func allocateSessionId() -> Int64 {
        defer { nextSessionId += 1 }
        return nextSessionId
    }

    func password(for sessionId: Int64) -> [UInt8] {
        SessionIds.password(sessionId: sessionId, secret: sessionSecret)
    }

    /// Attaches an established session to a connection, closing any older connection that
    /// carried the same session.
    func attach(sessionId: Int64, timeout: Int32, to c: ClientConnection) {
        if let old = connectionsBySession[sessionId], old !== c {
            logger.info("session 0x\(String(sessionId, radix: 16)) moved to a new connection; closing the old one")
            connectionsBySession[sessionId] = nil
            store.removeAllWatches(sessionId: sessionId)
            old.close(reason: "session reattached elsewhere")
        }
        connectionsBySession[sessionId] = c
        sessionTimeouts[sessionId] = timeout
        expiry.touch(sessionId, timeout: Int64(timeout), now: clock())
    }

    func touch(sessionId: Int64) {
        guard let t = sessionTimeouts[sessionId] else { return }
        expiry.touch(sessionId, timeout: Int64(t), now: clock())
        if transport != nil && !isLeader { pendingTouches.insert(sessionId) }
    }

    var isLeader: Bool { raft.map { $0.isLeader } ?? true }
    /// This server's id as stamped on the txns it proposes (0 without a Raft log).
    var origin: Int32 { raft?.origin ?? 0 }

    /// On the leader: the session is attached to another server (its reads are refused).
    func sessionMovedAwayFromLeader(_ sid: Int64) -> Bool {
        guard let raft, raft.isLeader else { return false }
        let owner = store.sessionOwner(sid)
        return owner != 0 && owner != raft.origin
    }
    /// Clients are accepted only while a leader is known (ZooKeeper refuses them while it
    /// is electing one).
    var isServing: Bool { raft == nil || leaderId != 0 }

    /// Followers batch the sessions their clients kept alive and tell the leader, which
    /// alone expires sessions.
    private func sendTouchesToLeader() {
        guard !pendingTouches.isEmpty, leaderId != 0, let transport else { return }
        let ids = pendingTouches.sorted()
        // Not sent (no connection to the leader yet, or it is not keeping up): kept for the
        // next batch, or the leader could expire sessions whose clients are active here.
        guard transport.send(to: leaderId, .sessionTouches(ids)) else { return }
        pendingTouches.removeAll()
    }

    func touchedByPeer(_ ids: [Int64]) {
        let now = clock()
        for id in ids {
            if let t = sessionTimeouts[id] { expiry.touch(id, timeout: Int64(t), now: now) }
        }
    }

    func roleChanged(_ newRole: NodeRole, leader: UInt64) {
        let wasLeader = role == .leader
        role = newRole
        leaderId = leader
        logger.info("raft: now \(newRole), leader \(leader)")
        if newRole == .leader && !wasLeader {
            // A new leader gives every session a full timeout before expiring any: it has
            // not seen the touches the old leader received.
            let now = clock()
            for (id, t) in sessionTimeouts { expiry.touch(id, timeout: Int64(t), now: now) }
        }
    }

    private func expireSessions() {
        let expired = expiry.expire(now: clock())
        guard isLeader else { return }
        for sid in expired where !expiring.contains(sid) {
            expiring.insert(sid)
            logger.info("Expiring session 0x\(String(sid, radix: 16)), timeout of \(sessionTimeouts[sid] ?? 0)ms exceeded")
            log.append(sessionId: sid, cxid: 0, kind: .closeSession) { [unowned self] _, _ in
                self.expiring.remove(sid)
            }
        }
    }

    private func reapContainersAndTTLs() {
        // Only the leader proposes deletions, as only ZooKeeper's leader runs the ContainerManager.
        guard isLeader else { return }
        for path in store.reapCandidates(now: clock()) {
            log.append(sessionId: 0, cxid: 0, kind: .request(.deleteContainer(PathRecord(path: path)), auth: AuthContext(ids: [], isSuper: true))) { _, _ in }
        }
    }

    // MARK: apply

    func applyCommitted(_ txn: Txn) -> ApplyResult {
        let result = store.apply(txn)
        // Events first: a closing session still gets the events of its own ephemerals'
        // deletion before its closeSession reply, as in ZooKeeper.
        dispatchNotifications()
        switch txn.kind {
        case .createSession(let timeout):
            if sessionTimeouts[txn.sessionId] == nil {
                sessionTimeouts[txn.sessionId] = timeout
                expiry.touch(txn.sessionId, timeout: Int64(timeout), now: clock())
            }
        case .closeSession:
            sessionTimeouts[txn.sessionId] = nil
            expiry.remove(txn.sessionId)
            if let c = connectionsBySession[txn.sessionId] {
                connectionsBySession[txn.sessionId] = nil
                c.sessionClosed()
            }
        case .request, .attachSession:
            break
        }
        return result
    }

    func snapshotData() -> [UInt8] { store.serializeSnapshot() }

    /// Canonical (siblings sorted): big child lists are sorted on another thread, which
    /// also takes the first touch of their nodes off the loop; walking dictionaries in
    /// their own order left the loop busier (measured: set 100 B on 2M znodes 60–65k →
    /// 40k ops/s).
    func beginSnapshot() -> any SnapshotJob { store.beginSnapshot(canonical: true) }

    func endSnapshot(_ job: any SnapshotJob) {
        if let b = job as? SnapshotBuilder { store.endSnapshot(b) }
    }

    func restore(snapshot data: [UInt8]) throws {
        install(try ZNodeStore.deserialize(data, config: store.config))
    }

    /// Replaces the state with `restored` (deserialized from a snapshot).
    func install(_ restored: ZNodeStore) {
        store = restored
        // Watches lived in the old state: drop the connections, clients reconnect and
        // re-register them with setWatches (ZooKeeper's followers do the same on a resync).
        for c in allConnections { c.close(reason: "state replaced by a snapshot") }
        for id in sessionTimeouts.keys { expiry.remove(id) }
        sessionTimeouts = [:]
        let now = clock()
        for (id, info) in store.sessions {
            sessionTimeouts[id] = info.timeout
            expiry.touch(id, timeout: Int64(info.timeout), now: now)
        }
    }

    // MARK: batched flushes

    private var connectionsToFlush: [ClientConnection] = []

    /// Flushes `c` at the end of this event-loop pass (see `ClientConnection.flushSoon`).
    func scheduleFlush(_ c: ClientConnection) {
        if connectionsToFlush.isEmpty {
            eventLoop.execute { [unowned self] in self.flushScheduled() }
        }
        connectionsToFlush.append(c)
    }

    private func flushScheduled() {
        let batch = connectionsToFlush
        connectionsToFlush = []
        for c in batch { c.flushIfNeeded() }
    }

    func dispatchNotifications() {
        let notes = store.drainNotifications()
        guard !notes.isEmpty else { return }
        let zxid: Int64 = -1
        for n in notes {
            connectionsBySession[n.sessionId]?.sendNotification(n.event, zxid: zxid)
        }
    }

    // MARK: introspection for 4lw

    var allConnections: [ClientConnection] { Array(connections.values) }
    var liveSessionCount: Int { sessionTimeouts.count }
    var outstandingRequests: Int { connections.values.reduce(0) { $0 + $1.outstanding } }
}
