import Logging
import NIOCore
import NIOPosix
import ZooKeeperWire

/// An async ZooKeeper client: one session over one pipelined connection at a time,
/// reconnecting to the next host with the same session id and password.
///
/// ```swift
/// let zk = try await ZooKeeperClient.connect("127.0.0.1:2181/app")
/// try await zk.create("/a", data: Array("x".utf8))
/// let (node, watch) = try await zk.getData("/a", watch: true)
/// ```
public actor ZooKeeperClient {
    public struct Configuration: Sendable {
        public var connectionString: ConnectionString
        /// Requested session timeout; the server negotiates it into its bounds.
        public var sessionTimeout: Duration
        /// How long an operation waits for its reply before failing with `.timeout`.
        public var requestTimeout: Duration
        /// How long `connect` waits for the first session before giving up.
        public var connectTimeout: Duration
        /// The largest frame accepted from the server.
        public var maxFrameLength: Int
        public var eventLoopGroup: any EventLoopGroup
        public var logger: Logger
        /// Resume an existing session (id and password from another client's `sessionId` /
        /// `sessionPassword`), as the Java client's constructor with a session id does.
        public var resumeSession: (id: Int64, password: [UInt8])?

        public init(
            connectionString: ConnectionString, sessionTimeout: Duration = .seconds(30),
            requestTimeout: Duration = .seconds(30), connectTimeout: Duration? = nil,
            maxFrameLength: Int = 4 * 1024 * 1024,
            eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
            logger: Logger = Logger(label: "zookeeper.client", factory: { _ in SwiftLogNoOpLogHandler() })
        ) {
            self.connectionString = connectionString
            self.sessionTimeout = sessionTimeout
            self.requestTimeout = requestTimeout
            self.connectTimeout = connectTimeout ?? sessionTimeout
            self.maxFrameLength = maxFrameLength
            self.eventLoopGroup = eventLoopGroup
            self.logger = logger
        }
    }

    struct PendingWatch: Sendable {
        var id: WatcherID
        var kind: WatchRegistry.Kind
        var serverPath: String
        /// `exists` on a missing node still registers (as an exist watch).
        var registerOnNoNode: Bool
    }

    public nonisolated let configuration: Configuration
    nonisolated let hosts: [ConnectionString.Host]
    var machine: ConnectionStateMachine
    var channel: (any Channel)?
    var continuations: [RequestToken: CheckedContinuation<ZooKeeperResponse, any Error>] = [:]
    var requestPaths: [RequestToken: String] = [:]
    var pendingWatches: [RequestToken: PendingWatch] = [:]
    var registry = WatchRegistry()
    var watchers: [WatcherID: AsyncStream<WatchEvent>.Continuation] = [:]
    var persistentWatchers: Set<WatcherID> = []
    var stateListeners: [UInt64: AsyncStream<ConnectionState>.Continuation] = [:]
    var firstConnectWaiters: [CheckedContinuation<Void, any Error>] = []
    var driver: Task<Void, Never>?
    var ticker: Task<Void, Never>?
    var nextID: UInt64 = 1
    var logger: Logger

    public init(configuration: Configuration) {
        self.configuration = configuration
        var rng = SystemRandomNumberGenerator()
        self.hosts = configuration.connectionString.shuffledHosts(using: &rng)
        let timeout = Int32(clamping: configuration.sessionTimeout.milliseconds)
        self.machine = ConnectionStateMachine(
            sessionTimeout: timeout,
            resume: configuration.resumeSession.map { .init(id: $0.id, password: $0.password, timeout: timeout) })
        self.logger = configuration.logger
    }

    /// Connects and waits for the session (up to `connectTimeout`).
    public static func connect(
        _ connectionString: String, sessionTimeout: Duration = .seconds(30), requestTimeout: Duration = .seconds(30)
    ) async throws -> ZooKeeperClient {
        let config = Configuration(
            connectionString: try ConnectionString(connectionString), sessionTimeout: sessionTimeout,
            requestTimeout: requestTimeout)
        return try await connect(configuration: config)
    }

    public static func connect(configuration: Configuration) async throws -> ZooKeeperClient {
        let client = ZooKeeperClient(configuration: configuration)
        try await client.start()
        return client
    }

    /// Starts connecting and waits for the first session.
    public func start() async throws {
        if machine.hasBeenConnected { return }
        if driver == nil {
            driver = Task { await self.drive() }
            ticker = Task { await self.tickLoop() }
        }
        let deadline = ContinuousClock.now + configuration.connectTimeout
        let timeoutTask = Task {
            try? await Task.sleep(until: deadline)
            self.failFirstConnect(ZooKeeperError(.connectionLoss))
        }
        defer { timeoutTask.cancel() }
        do {
            try await withCheckedThrowingContinuation { firstConnectWaiters.append($0) }
        } catch {
            await close()
            throw error
        }
    }

    private func failFirstConnect(_ error: ZooKeeperError) {
        let waiters = firstConnectWaiters
        firstConnectWaiters = []
        for w in waiters { w.resume(throwing: error) }
    }

    // MARK: public state

    /// The session id (0 before the first session).
    public var sessionId: Int64 { machine.session?.id ?? 0 }
    public var sessionPassword: [UInt8] { machine.session?.password ?? [] }
    /// The negotiated session timeout in milliseconds.
    public var negotiatedTimeout: Int32 { machine.session?.timeout ?? 0 }
    /// The highest zxid seen in any reply.
    public var lastZxid: Int64 { machine.lastZxid }
    public var isConnected: Bool { machine.state == .connected }
    /// The host of the current connection.
    public internal(set) var currentHost: ConnectionString.Host?

    /// A new stream of connection-state changes (each call makes an independent subscriber).
    public func connectionStates() -> AsyncStream<ConnectionState> {
        let (stream, continuation) = AsyncStream<ConnectionState>.makeStream()
        let id = takeID()
        if machine.state.isTerminal {
            continuation.finish()
            return stream
        }
        stateListeners[id] = continuation
        continuation.onTermination = { _ in Task { await self.removeStateListener(id) } }
        return stream
    }

    private func removeStateListener(_ id: UInt64) { stateListeners[id] = nil }

    func emit(_ state: ConnectionState) {
        logger.debug("connection state", metadata: ["state": "\(state)"])
        for c in stateListeners.values { c.yield(state) }
        if state == .expired || state == .authFailed || state == .closed {
            for c in stateListeners.values { c.finish() }
            stateListeners = [:]
        }
    }

    func takeID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }

    // MARK: sending

    /// Sends one request and waits for its reply. `path` is the client path, for errors.
    func send(_ request: ZooKeeperRequest, path: String?, watch: PendingWatch? = nil) async throws -> ZooKeeperResponse {
        let token = RequestToken(raw: takeID())
        let now = NIODeadline.now()
        let deadline = now + TimeAmount.nanoseconds(configuration.requestTimeout.nanoseconds)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                continuations[token] = continuation
                requestPaths[token] = path
                if let watch { pendingWatches[token] = watch }
                switch machine.requestSubmitted(request, token: token, now: now, deadline: deadline) {
                case .write(let xid):
                    channel?.writeAndFlush(ChannelGlue.requestFrame(xid: xid, request), promise: nil)
                case .queued:
                    break
                case .fail(let error):
                    fail(token, error)
                }
            }
        } onCancel: {
            Task { await self.cancelRequest(token) }
        }
    }

    /// A cancelled caller gets `CancellationError`; the request may still be applied by the server.
    private func cancelRequest(_ token: RequestToken) {
        guard machine.requestAbandoned(token) else { return }
        requestPaths[token] = nil
        if let watch = pendingWatches.removeValue(forKey: token) {
            watchers.removeValue(forKey: watch.id)?.finish()
        }
        continuations.removeValue(forKey: token)?.resume(throwing: CancellationError())
    }

    func fail(_ token: RequestToken, _ error: ZooKeeperError) {
        var error = error
        if error.path == nil { error.path = requestPaths[token] }
        requestPaths[token] = nil
        if let watch = pendingWatches.removeValue(forKey: token) {
            watchers.removeValue(forKey: watch.id)?.finish()
        }
        continuations.removeValue(forKey: token)?.resume(throwing: error)
    }

    func succeed(_ token: RequestToken, _ response: ZooKeeperResponse) {
        requestPaths[token] = nil
        if let watch = pendingWatches.removeValue(forKey: token) {
            registry.add(watch.id, kind: watch.kind, path: watch.serverPath)
        }
        continuations.removeValue(forKey: token)?.resume(returning: response)
    }

    /// Closes the session (closeSession, then the connection). Idempotent.
    public func close() async {
        if machine.state.isTerminal {
            finishEverything(state: nil)
            return
        }
        let token = RequestToken(raw: takeID())
        let now = NIODeadline.now()
        let deadline = now + .seconds(2)
        switch machine.closeRequested(token: token, now: now, deadline: deadline) {
        case .sendCloseSession(let xid):
            let frame = ChannelGlue.requestFrame(xid: xid, .closeSession)
            _ = try? await withCheckedThrowingContinuation { (c: CheckedContinuation<ZooKeeperResponse, any Error>) in
                continuations[token] = c
                channel?.writeAndFlush(frame, promise: nil)
            }
            for t in machine.closed() { fail(t, .closed) }
        case .closed(let failed):
            for t in failed { fail(t, .closed) }
        }
        try? await channel?.close()
        channel = nil
        finishEverything(state: .closed)
    }

    /// Ends all streams and tasks once the client is finished.
    func finishEverything(state: ConnectionState?) {
        let event: WatchEvent
        switch state {
        case .expired: event = WatchEvent(type: .none, state: .expired, path: "")
        case .authFailed: event = WatchEvent(type: .none, state: .authFailed, path: "")
        default: event = WatchEvent(type: .none, state: .closed, path: "")
        }
        _ = registry.removeAll()
        for (_, c) in watchers {
            c.yield(event)
            c.finish()
        }
        watchers = [:]
        persistentWatchers = []
        if let state { emit(state) }
        for c in stateListeners.values { c.finish() }
        stateListeners = [:]
        failFirstConnect(state == .expired ? .sessionExpired : state == .authFailed ? ZooKeeperError(.authFailed) : .closed)
        driver?.cancel()
        ticker?.cancel()
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
    var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
