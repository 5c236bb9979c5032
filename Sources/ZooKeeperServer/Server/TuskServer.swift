import Foundation
import Logging
import NIOCore
import NIOPosix
import RaftCore
import RaftStorage
import ZNodeStore
import ZooKeeperWire

/// The client-facing server: binds the client port and runs every connection on one event
/// loop together with the store, so a request never changes threads.
public final class TuskServer: @unchecked Sendable {
    public let config: ServerConfig
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    let state: ServerState
    private var channel: (any Channel)?

    public init(config: ServerConfig, logger: Logger) {
        self.config = config
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        self.state = ServerState(config: config, eventLoop: loop, logger: logger, clock: {
            Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        })
    }

    /// Binds the client port and starts serving. Returns the bound address.
    @discardableResult
    public func start() throws -> SocketAddress {
        let state = self.state
        let logger = self.logger
        let ensemble = config.servers.count > 1
        // This server's own `server.N` line (ensembles only).
        let me = ensemble ? self.config.servers.first(where: { $0.id == self.config.serverId }) : nil
        let nodeId = UInt64(ensemble ? config.serverId : config.sessionIdServerByte)
        let voters = ensemble ? config.servers.filter { $0.role == .participant }.map { UInt64($0.id) } : [nodeId]
        let learners = ensemble ? config.servers.filter { $0.role == .observer }.map { UInt64($0.id) } : []
        let config = self.config
        try state.eventLoop.submit {
            // A standalone server is a one-node Raft group: the same write path as an ensemble.
            // Recovery: the latest snapshot, then Raft replays the committed entries after it.
            // The snapshot is deserialized on another thread while the WAL is being read.
            let preload = SnapshotPreload()
            let storeConfig = state.store.config
            let logStore = try Self.openLogStore(config: config, logger: logger) { preload.start($0, config: storeConfig) }
            if ensemble {
                state.store.setSystemConfigData(Array(Self.configNodeText(config).utf8))
            }
            let snapshot = try logStore.snapshot()
            if !snapshot.data.isEmpty {
                if let restored = try preload.take(index: snapshot.metadata.index) {
                    state.install(restored)
                } else {
                    try state.restore(snapshot: snapshot.data)
                }
                logger.info("loaded snapshot at index \(snapshot.metadata.index): \(state.store.nodeCount) znodes, \(state.store.sessions.count) sessions")
            }
            let raft = try RaftTxnLog(nodeId: nodeId, peers: voters, learners: learners, store: logStore, applier: state,
                                      applied: snapshot.metadata.index, eventLoop: state.eventLoop, clock: state.clock, logger: logger,
                                      seed: UInt64(bitPattern: state.clock()) ^ nodeId)
            raft.snapCount = UInt64(config.snapCount)
            raft.entriesKeptAfterSnapshot = UInt64(max(1, min(config.snapCount / 2, 5_000)))
            raft.releaseAppliedPayloads = !ensemble
            // TUSK_SNAPSHOT_WALK=loop walks snapshots in slices on the event loop instead
            // (the way before; for comparisons).
            let walk = ProcessInfo.processInfo.environment["TUSK_SNAPSHOT_WALK"]
            raft.walkSnapshotsOffLoop = walk != "loop"
            // Snapshot files are written at most this fast (MiB/s; TUSK_SNAPSHOT_MBPS, 0 for
            // no limit). At the disk's full speed here (1.6 GB/s) the WAL's fsyncs waited
            // behind the GBs of a big store's snapshot: create 1 KiB on ~4M znodes fell
            // from ~82k to 53–67k ops/s in half the runs, the loop idle, waiting on fsync.
            raft.snapshotWriteBytesPerSecond = (ProcessInfo.processInfo.environment["TUSK_SNAPSHOT_MBPS"].flatMap(Int.init) ?? 256) << 20
            if let nice = ProcessInfo.processInfo.environment["TUSK_SNAPSHOT_WALK_NICE"].flatMap(Int32.init) {
                raft.snapshotWalkerNice = nice
            }
            state.log = raft
            state.raft = raft
            raft.onRoleChange = { [unowned state] role, leader in state.roleChanged(role, leader: leader) }
            if ensemble && config.reconfigEnabled {
                // reconfig commits a new /zookeeper/config; Raft's membership follows it.
                raft.desiredMembers = { [unowned state] in state.configuredMembers() }
                raft.desiredObservers = { [unowned state] in state.configuredObservers() }
            }
            if ensemble {
                let transport = PeerTransport(selfId: nodeId, peers: config.servers.map { .init(id: UInt64($0.id), host: $0.host, port: $0.peerPort) },
                                              eventLoop: state.eventLoop, logger: logger)
                transport.onFrame = { [unowned state, unowned raft] from, frame in
                    switch frame {
                    case .raft(let m): raft.receive(m)
                    case .sessionTouches(let ids): state.touchedByPeer(ids)
                    case .hello: break
                    }
                }
                raft.send = { [unowned transport] messages in
                    messages.filter { !transport.send(to: $0.to, .raft($0)) }
                }
                if config.reconfigEnabled {
                    // Every member learns the addresses of servers a reconfig added.
                    raft.peerAddresses = { [unowned state, unowned transport] in
                        for spec in (state.configuredSpecs() ?? [:]).values {
                            transport.setPeer(.init(id: UInt64(spec.id), host: spec.host, port: spec.peerPort))
                        }
                    }
                }
                state.transport = transport
            }
        }.wait()
        if let transport = state.transport, let me {
            let address = try transport.listen(host: me.host, port: me.peerPort)
            logger.info("server \(nodeId) listening for peers on \(address) (the election port \(me.electionPort) is not used: Raft elections travel on the peer port)")
        }
        try state.eventLoop.submit {
            state.raft?.start(tick: .milliseconds(50))
            state.startTimers()
        }.wait()
        let maxFrame = config.juteMaxBuffer
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let remote = channel.remoteAddress
                    let ip = remote?.ipAddress ?? "unknown"
                    let description = "\(ip):\(remote?.port ?? 0)"
                    let handler = ClientConnection(state: state, remoteIP: ip, remoteDescription: description)
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ServerFrameDecoder(maxFrameLength: maxFrame)))
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        if config.clientPortListenBacklog > 0 {
            bootstrap = bootstrap.serverChannelOption(.backlog, value: Int32(config.clientPortListenBacklog))
        }
        let channel = try bootstrap.bind(host: me?.clientAddress ?? config.clientPortAddress, port: me?.clientPort ?? config.clientPort).wait()
        self.channel = channel
        let address = channel.localAddress!
        logger.info("binding to port \(address)")
        logger.info("Tusk \(TuskVersion.full) serving ZooKeeper clients on \(address) (mode: \(state.modeName), tickTime \(config.tickTime)ms, sessions \(config.minSessionTimeout)..\(config.maxSessionTimeout)ms)")
        return address
    }

    /// `/zookeeper/config` as ZooKeeper writes it for a static ensemble configuration.
    static func configNodeText(_ config: ServerConfig) -> String {
        var lines = config.servers.sorted { $0.id < $1.id }.map { s -> String in
            var line = "server.\(s.id)=\(s.host):\(s.peerPort):\(s.electionPort):\(s.role.rawValue)"
            if let port = s.clientPort { line += ";\(s.clientAddress ?? "0.0.0.0"):\(port)" }
            return line
        }
        lines.append("version=0")
        return lines.joined(separator: "\n")
    }

    /// The Raft log under `dataLogDir` (falls back to memory only where no durable store exists).
    static func openLogStore(config: ServerConfig, logger: Logger,
                             snapshotRead: ((Snapshot) -> Void)? = nil) throws -> any RaftLogStore {
        let directory = (config.effectiveDataLogDir as NSString).appendingPathComponent("tusk-raft")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let storage: DiskStorage
        do {
            var options = DiskStorage.Options()
            options.fsyncWAL = config.forceSync
            // Tusk removes old snapshots as it writes new ones; autopurge.snapRetainCount
            // says how many to keep (the WAL before the oldest kept snapshot is deleted too).
            options.keepSnapshots = config.autopurgeSnapRetainCount
            storage = try DiskStorage(directory: directory, options: options, snapshotRead: snapshotRead)
        } catch {
            throw ConfigError(file: directory, "cannot open the Raft log: \(error)")
        }
        let r = storage.recovery
        logger.info("Raft log at \(directory): \(r.segments) segments, \(r.records) records, snapshot at index \(r.snapshotIndex)")
        if let torn = r.truncatedTail {
            logger.warning("truncated a torn tail record in \(torn.file) at offset \(torn.offset) (\(torn.bytes) bytes): it was never acknowledged")
        }
        if !config.forceSync {
            logger.warning("forceSync=no: log records are written but not fsynced; a power loss may lose acknowledged writes")
        }
        return storage
    }

    /// Stops accepting, closes every connection and the event loop. Idempotent.
    public func shutdown() {
        guard let channel else { return }
        self.channel = nil
        logger.info("shutting down")
        try? channel.close().wait()
        let state = self.state
        try? state.eventLoop.submit {
            state.stopTimers()
            state.raft?.stop()
            state.transport?.close()
            for c in state.allConnections { c.close(reason: "server shutdown") }
        }.wait()
        try? group.syncShutdownGracefully()
        logger.info("shutdown complete")
    }

    /// Blocks until the listening channel closes.
    public func waitUntilClosed() throws {
        try channel?.closeFuture.wait()
    }
}

/// A snapshot deserialized on a background thread while recovery goes on (see `start`).
final class SnapshotPreload: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var index: UInt64?
    private var result: Result<ZNodeStore, any Error>?

    func start(_ snapshot: Snapshot, config: ZNodeStoreConfig) {
        index = snapshot.metadata.index
        DispatchQueue.global().async { [self] in
            result = Result { try ZNodeStore.deserialize(snapshot.data, config: config) }
            done.signal()
        }
    }

    /// The state of the snapshot at `index` once deserialized, or nil if none was started
    /// for that index.
    func take(index: UInt64) throws -> ZNodeStore? {
        guard let started = self.index else { return nil }
        done.wait()
        guard started == index else { return nil }
        return try result!.get()
    }
}
