import ZooKeeperClient
import ZooKeeperWire

/// A local mirror of one node (Curator's `NodeCache`): `updates()` yields the node's data and
/// stat now and after every change (nil while the node does not exist), kept current by
/// one-shot watches re-set on every event and re-read after a reconnect.
public struct NodeCache: Sendable {
    public let client: ZooKeeperClient
    public let path: String

    public init(client: ZooKeeperClient, path: String) {
        self.client = client
        self.path = path
    }

    public func updates() -> AsyncStream<NodeData?> {
        watchedValues(client) { [client, path] () async throws -> (NodeData?, Watch)? in
            do {
                return try await client.getData(path, watch: true)
            } catch let e as ZooKeeperError where e.code == .noNode {
                let (stat, existsWatch) = try await client.exists(path, watch: true)
                // Created between the two calls: the exists watch has not fired; look again.
                if stat != nil { return nil }
                return (nil, existsWatch)
            }
        }
    }
}
