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
        watchedValues(client) { [client, groupPath] in
            let (children, watch) = try await client.getChildren(groupPath, watch: true)
            return (children.sorted(), watch)
        }
    }

    private func ensurePath() async throws {
        var path = ""
        for component in groupPath.split(separator: "/") {
            path += "/" + component
            do { try await client.create(path) } catch let e as ZooKeeperError where e.code == .nodeExists {}
        }
    }
}
