import ZooKeeperClient
import ZooKeeperWire

/// Group membership: each member is an ephemeral node `<group>/<memberId>` (data: payload);
/// `members()` streams the sorted member list, kept current by child watches and re-read
/// after a reconnect.
public actor GroupMembership {
    public nonisolated let groupPath: String
    private let client: ZooKeeperClient
    private var joinedAs: String?

    public init(client: ZooKeeperClient, groupPath: String) {
        self.client = client
        self.groupPath = groupPath
    }

    /// Joins as `memberId` (an ephemeral node, gone with the session).
    public func join(as memberId: String, data: [UInt8] = []) async throws {
        try await ensurePath()
        try await client.create(groupPath + "/" + memberId, data: data, options: .ephemeral)
        joinedAs = memberId
    }

    /// Leaves the group (deletes our node).
    public func leave() async throws {
        guard let id = joinedAs else { return }
        joinedAs = nil
        do { try await client.delete(groupPath + "/" + id) } catch let e as ZooKeeperError where e.code == .noNode {}
    }

    /// The current members, once.
    public func currentMembers() async throws -> [String] {
        try await client.getChildren(groupPath).sorted()
    }

    /// The member list now and after every change (consecutive duplicates skipped).
    /// Ends when the client closes or its session expires.
    public nonisolated func members() -> AsyncStream<[String]> {
        let (stream, continuation) = AsyncStream<[String]>.makeStream(bufferingPolicy: .bufferingNewest(16))
        let task = Task { [client, groupPath] in
            var last: [String]? = nil
            let states = await client.connectionStates()
            let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let stateTask = Task {
                for await state in states where state == .reconnected { wake.yield() }
                wake.finish()
            }
            defer { stateTask.cancel() }
            var iterator = wakeups.makeAsyncIterator()
            while !Task.isCancelled {
                do {
                    let (children, watch) = try await client.getChildren(groupPath, watch: true)
                    let sorted = children.sorted()
                    if sorted != last {
                        continuation.yield(sorted)
                        last = sorted
                    }
                    Task {
                        _ = await watch.event()
                        wake.yield()
                    }
                } catch let error as ZooKeeperError where error.endsWatching {
                    break
                } catch {
                    // Connection loss: the reconnect wakes us.
                }
                guard await iterator.next() != nil else { break }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func ensurePath() async throws {
        var path = ""
        for component in groupPath.split(separator: "/") {
            path += "/" + component
            do { try await client.create(path) } catch let e as ZooKeeperError where e.code == .nodeExists {}
        }
    }
}
