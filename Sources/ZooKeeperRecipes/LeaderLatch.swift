import ZooKeeperClient
import ZooKeeperWire

/// A change of leadership as one participant sees it.
public enum LeadershipEvent: Hashable, Sendable {
    /// This participant leads; `fencingToken` (its node's czxid) grows with every new leader.
    case elected(fencingToken: Int64)
    /// This participant no longer leads (resigned, connection suspended, session gone).
    case revoked
}

/// Leader election in Curator's `LeaderLatch` layout: `<path>/_c_<uuid>-latch-<seq>`
/// (default path `/election/leader`), so Swift and Curator participants share one election.
/// Each participant watches only its predecessor. On a suspended connection the leader
/// stops leading at once (its session may be gone); it leads again after a reconnect
/// if its node is still first. After session expiry the latch ends: start a new one on a new client.
public actor LeaderLatch {
    public nonisolated let path: String
    public nonisolated let participantId: String
    private let client: ZooKeeperClient
    private let candidate: SequentialCandidate
    private var node: (path: String, czxid: Int64)?
    private var leading = false
    private var suspended = false
    private var closed = false
    private var listeners: [Int: AsyncStream<LeadershipEvent>.Continuation] = [:]
    private var nextListener = 0
    private var wake: AsyncStream<Void>.Continuation?
    private var loopTask: Task<Void, Never>?
    private var stateTask: Task<Void, Never>?

    public init(client: ZooKeeperClient, path: String = "/election/leader", participantId: String = "") {
        self.client = client
        self.path = path
        self.participantId = participantId
        self.candidate = SequentialCandidate(client: client, parent: path, lockName: "latch-")
    }

    public var hasLeadership: Bool { leading }
    /// The fencing token while leading.
    public var fencingToken: Int64? { leading ? node?.czxid : nil }
    /// Our node's path once created.
    public var nodePath: String? { node?.path }

    /// Leadership changes from now on (each call is an independent subscriber).
    public func events() -> AsyncStream<LeadershipEvent> {
        let (stream, continuation) = AsyncStream<LeadershipEvent>.makeStream()
        let id = nextListener
        nextListener += 1
        listeners[id] = continuation
        if leading, let node { continuation.yield(.elected(fencingToken: node.czxid)) }
        if closed { continuation.finish() }
        continuation.onTermination = { _ in Task { await self.removeListener(id) } }
        return stream
    }

    private func removeListener(_ id: Int) { listeners[id] = nil }

    /// Joins the election: creates the node and starts following the participants ahead.
    public func start() async throws {
        guard loopTask == nil else { return }
        node = try await candidate.createNode(data: Array(participantId.utf8))
        let (wakeups, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        wake = continuation
        let states = await client.connectionStates()
        stateTask = Task { [weak self] in
            for await state in states { await self?.connectionChanged(state) }
            await self?.connectionChanged(.closed)
        }
        loopTask = Task { [weak self] in await self?.run(wakeups) }
    }

    /// Waits until this participant leads; returns the fencing token.
    public func awaitLeadership() async throws -> Int64 {
        for await event in events() {
            if case .elected(let token) = event { return token }
        }
        throw LockError.nodeLost(node?.path ?? path)
    }

    /// Runs `body` while leading, then resigns. `lead { }` form of the election.
    public func lead<T: Sendable>(_ body: @Sendable (Int64) async throws -> T) async throws -> T {
        try await start()
        let token = try await awaitLeadership()
        do {
            let result = try await body(token)
            await close()
            return result
        } catch {
            await close()
            throw error
        }
    }

    /// Resigns: stops leading first, then deletes the node so the next participant takes over.
    public func close() async {
        guard !closed else { return }
        closed = true
        setLeading(false)
        loopTask?.cancel()
        stateTask?.cancel()
        wake?.finish()
        if let node { try? await client.delete(node.path) }
        node = nil
        for c in listeners.values { c.finish() }
        listeners = [:]
    }

    private func connectionChanged(_ state: ConnectionState) {
        switch state {
        case .suspended:
            suspended = true
            setLeading(false)
        case .connected, .reconnected:
            suspended = false
        case .expired, .authFailed, .closed:
            setLeading(false)
            closed = true
            for c in listeners.values { c.finish() }
            listeners = [:]
            wake?.finish()
        }
        wake?.yield()
    }

    private func setLeading(_ value: Bool) {
        guard value != leading else { return }
        leading = value
        let event: LeadershipEvent = value ? .elected(fencingToken: node?.czxid ?? 0) : .revoked
        for c in listeners.values { c.yield(event) }
    }

    private func forward(_ watch: Watch) {
        let wake = self.wake
        Task {
            _ = await watch.event()
            wake?.yield()
        }
    }

    private func run(_ wakeups: AsyncStream<Void>) async {
        var iterator = wakeups.makeAsyncIterator()
        while !closed && !Task.isCancelled {
            if !suspended {
                do {
                    if node == nil { node = try await candidate.createNode(data: Array(participantId.utf8)) }
                    guard let current = node, !closed else { break }
                    switch try await candidate.position(of: current.path) {
                    case .first:
                        setLeading(!suspended)
                        forward(try await client.exists(current.path, watch: true).watch)
                    case .gone:
                        setLeading(false)
                        node = nil
                        continue
                    case .waiting(let watch):
                        setLeading(false)
                        forward(watch)
                    }
                } catch {
                    setLeading(false)
                }
            }
            guard await iterator.next() != nil else { break }
        }
    }
}
