import ZooKeeperClient
import ZooKeeperWire

/// A read-write lock in Curator's `InterProcessReadWriteLock` layout: `<path>/_c_<uuid>-__READ__<seq>`
/// and `…-__WRIT__<seq>`, ordered by sequence. A reader proceeds when no writer is ahead of
/// it (it watches the nearest writer ahead); a writer proceeds when it is first (it watches
/// its predecessor). Grants carry the node's czxid as a fencing token. Not reentrant.
public struct ReadWriteLock: Sendable {
    public enum Mode: Sendable { case read, write }

    public let client: ZooKeeperClient
    public let path: String

    public init(client: ZooKeeperClient, path: String) {
        self.client = client
        self.path = path
    }

    static let readMarker = "__READ__"
    static let writeMarker = "__WRIT__"

    /// A granted lock; `release()` deletes its node.
    public struct Grant: Sendable {
        public let mode: Mode
        public let fencingToken: Int64
        let nodePath: String
        let client: ZooKeeperClient

        public func release() async throws {
            do { try await client.delete(nodePath) } catch let e as ZooKeeperError where e.code == .noNode {}
        }
    }

    /// Waits for the lock in `mode` (bounded by `timeout` if given).
    public func acquire(_ mode: Mode, timeout: Duration? = nil) async throws -> Grant {
        let marker = mode == .read ? Self.readMarker : Self.writeMarker
        let candidate = SequentialCandidate(client: client, parent: path, lockName: marker)
        let node = try await candidate.createNode()
        let name = String(node.path.split(separator: "/").last!)
        let deadline = timeout.map { ContinuousClock.now + $0 }
        do {
            while true {
                let children = try await client.getChildren(path)
                    .filter { $0.contains(Self.readMarker) || $0.contains(Self.writeMarker) }
                    .sorted { Self.sequence($0) < Self.sequence($1) }
                guard let index = children.firstIndex(of: name) else { throw LockError.nodeLost(node.path) }
                let ahead = children[..<index]
                let blocker: String? = mode == .write ? ahead.last : ahead.last { $0.contains(Self.writeMarker) }
                guard let blocker else {
                    return Grant(mode: mode, fencingToken: node.czxid, nodePath: node.path, client: client)
                }
                let (stat, watch) = try await client.exists(path + "/" + blocker, watch: true)
                if stat == nil { continue }
                try await watch.wait(until: deadline)
            }
        } catch {
            try? await client.delete(node.path)
            throw error
        }
    }

    static func sequence(_ name: String) -> String {
        for marker in [readMarker, writeMarker] {
            if let r = name.range(of: marker, options: .backwards) { return String(name[r.upperBound...]) }
        }
        return name
    }
}
