import ZooKeeperClient
import ZooKeeperWire

/// A mutex in Curator's `InterProcessMutex` layout (`<path>/_c_<uuid>-lock-<seq>`), reentrant
/// within one `DistributedLock` value. Every grant carries a fencing token (the czxid of the
/// holder's node): strictly increasing across grants, so a resource can reject a deposed holder.
public actor DistributedLock {
    public nonisolated let path: String
    private let candidate: SequentialCandidate
    private var ourNode: (path: String, czxid: Int64)?
    private var holdCount = 0

    public init(client: ZooKeeperClient, path: String) {
        self.path = path
        self.candidate = SequentialCandidate(client: client, parent: path, lockName: "lock-")
    }

    /// The fencing token of the current grant, nil when not held.
    public var fencingToken: Int64? { holdCount > 0 ? ourNode?.czxid : nil }
    public var isHeld: Bool { holdCount > 0 }

    /// Waits for the lock (up to `timeout`); returns the fencing token.
    /// Throws `LockError.timedOut` (our node is removed) or the client's error.
    @discardableResult
    public func acquire(timeout: Duration? = nil) async throws -> Int64 {
        if holdCount > 0, let node = ourNode {
            holdCount += 1
            return node.czxid
        }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let node = try await candidate.createNode()
        ourNode = node
        do {
            while true {
                switch try await candidate.position(of: node.path) {
                case .first:
                    holdCount = 1
                    return node.czxid
                case .gone:
                    throw LockError.nodeLost(node.path)
                case .waiting(let watch):
                    try await watch.wait(until: deadline)
                }
            }
        } catch {
            ourNode = nil
            try? await candidate.client.delete(node.path)
            throw error
        }
    }

    /// Releases one hold; the last release deletes the node.
    public func release() async throws {
        guard holdCount > 0, let node = ourNode else { throw LockError.notHeld }
        holdCount -= 1
        if holdCount > 0 { return }
        ourNode = nil
        try await candidate.client.withRetry { client in
            do { try await client.delete(node.path) } catch let e as ZooKeeperError where e.code == .noNode {}
        }
    }

    /// Runs `body` holding the lock, passing the fencing token.
    public func withLock<T: Sendable>(timeout: Duration? = nil, _ body: @Sendable (Int64) async throws -> T) async throws -> T {
        let token = try await acquire(timeout: timeout)
        do {
            let result = try await body(token)
            try await release()
            return result
        } catch {
            try? await release()
            throw error
        }
    }
}

public enum LockError: Error, Hashable, Sendable {
    case timedOut
    case notHeld
    /// Our candidate node disappeared (session expired or the node was deleted).
    case nodeLost(String)
}
