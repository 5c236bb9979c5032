import ZooKeeperClient
import ZooKeeperWire

/// Curator's `DistributedBarrier`: the barrier is up while its node exists; `wait` returns
/// once it is removed.
public struct Barrier: Sendable {
    public let client: ZooKeeperClient
    public let path: String

    public init(client: ZooKeeperClient, path: String) {
        self.client = client
        self.path = path
    }

    public func set() async throws {
        do { try await client.create(path) } catch let e as ZooKeeperError where e.code == .nodeExists {}
    }

    public func remove() async throws {
        do { try await client.delete(path) } catch let e as ZooKeeperError where e.code == .noNode {}
    }

    /// Waits until the barrier is removed.
    public func wait() async throws {
        while true {
            let (stat, watch) = try await client.exists(path, watch: true)
            if stat == nil { return }
            _ = await watch.event()
        }
    }
}

/// Curator's `DistributedDoubleBarrier`: `enter` returns when `memberCount` members have
/// entered; `leave` returns when all of them have left. Members are ephemeral children.
public struct DoubleBarrier: Sendable {
    public let client: ZooKeeperClient
    public let path: String
    public let memberCount: Int
    public let memberId: String

    public init(client: ZooKeeperClient, path: String, memberCount: Int, memberId: String) {
        self.client = client
        self.path = path
        self.memberCount = memberCount
        self.memberId = memberId
    }

    private var readyPath: String { path + "/ready" }

    public func enter() async throws {
        var p = ""
        for component in path.split(separator: "/") {
            p += "/" + component
            do { try await client.create(p) } catch let e as ZooKeeperError where e.code == .nodeExists {}
        }
        let (readyStat, readyWatch) = try await client.exists(readyPath, watch: true)
        try await client.create(path + "/" + memberId, options: .ephemeral)
        if readyStat != nil { return }
        let members = try await client.getChildren(path).filter { $0 != "ready" }
        if members.count >= memberCount {
            do { try await client.create(readyPath) } catch let e as ZooKeeperError where e.code == .nodeExists {}
            return
        }
        _ = await readyWatch.event()
    }

    public func leave() async throws {
        do { try await client.delete(path + "/" + memberId) } catch let e as ZooKeeperError where e.code == .noNode {}
        while true {
            let (children, watch) = try await client.getChildren(path, watch: true)
            let members = children.filter { $0 != "ready" }
            if members.isEmpty {
                do { try await client.delete(readyPath) } catch let e as ZooKeeperError where e.code == .noNode {}
                return
            }
            _ = await watch.event()
        }
    }
}

/// A FIFO queue of sequential nodes `<path>/qn-<seq>` (Curator's `DistributedQueue` naming).
public struct DistributedQueue: Sendable {
    public let client: ZooKeeperClient
    public let path: String

    public init(client: ZooKeeperClient, path: String) {
        self.client = client
        self.path = path
    }

    public func put(_ item: [UInt8]) async throws {
        do {
            try await client.create(path + "/qn-", data: item, options: .persistentSequential)
        } catch let e as ZooKeeperError where e.code == .noNode {
            try await ensurePath()
            try await put(item)
        }
    }

    private func ensurePath() async throws {
        var p = ""
        for component in path.split(separator: "/") {
            p += "/" + component
            do { try await client.create(p) } catch let e as ZooKeeperError where e.code == .nodeExists {}
        }
    }

    /// Takes the oldest item, waiting while the queue is empty. Each item goes to exactly one taker.
    public func take() async throws -> [UInt8] {
        while true {
            let (children, watch): ([String], Watch)
            do {
                (children, watch) = try await client.getChildren(path, watch: true)
            } catch let e as ZooKeeperError where e.code == .noNode {
                try await ensurePath()
                continue
            }
            for name in children.filter({ $0.hasPrefix("qn-") }).sorted() {
                do {
                    let node = try await client.getData(path + "/" + name)
                    try await client.delete(path + "/" + name)
                    return node.data
                } catch let e as ZooKeeperError where e.code == .noNode {
                    continue  // another taker won this one
                }
            }
            _ = await watch.event()
        }
    }
}
