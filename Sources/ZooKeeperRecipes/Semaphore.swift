import ZooKeeperClient
import ZooKeeperWire

/// A counting semaphore in Curator's `InterProcessSemaphoreV2` layout: leases are ephemeral
/// sequential nodes `<path>/leases/_c_<uuid>-lease-<seq>`; a mutex at `<path>/locks`
/// serialises acquirers, and an acquirer holding it waits until at most `maxLeases`
/// leases exist. A lease dies with its session.
public struct DistributedSemaphore: Sendable {
    public let client: ZooKeeperClient
    public let path: String
    public let maxLeases: Int

    public init(client: ZooKeeperClient, path: String, maxLeases: Int) {
        self.client = client
        self.path = path
        self.maxLeases = maxLeases
    }

    /// A granted lease; `release()` deletes its node.
    public struct Lease: Sendable {
        public let nodePath: String
        /// The lease node's czxid, a fencing token.
        public let fencingToken: Int64
        let client: ZooKeeperClient

        public func release() async throws {
            do { try await client.delete(nodePath) } catch let e as ZooKeeperError where e.code == .noNode {}
        }
    }

    /// Waits for a lease (bounded by `timeout` if given).
    public func acquire(timeout: Duration? = nil) async throws -> Lease {
        let mutex = DistributedLock(client: client, path: path + "/locks")
        try await mutex.acquire(timeout: timeout)
        let leasesPath = path + "/leases"
        let candidate = SequentialCandidate(client: client, parent: leasesPath, lockName: "lease-")
        var created: (path: String, czxid: Int64)?
        do {
            let node = try await candidate.createNode()
            created = node
            let deadline = timeout.map { ContinuousClock.now + $0 }
            while true {
                let (children, watch) = try await client.getChildren(leasesPath, watch: true)
                if children.count <= maxLeases { break }
                try await watch.wait(until: deadline)
            }
            try await mutex.release()
            return Lease(nodePath: node.path, fencingToken: node.czxid, client: client)
        } catch {
            if let created { try? await client.delete(created.path) }
            try? await mutex.release()
            throw error
        }
    }
}
