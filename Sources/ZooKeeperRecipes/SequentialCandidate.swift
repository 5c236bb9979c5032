import Foundation
import ZooKeeperClient
import ZooKeeperWire

/// The shared core of Curator's LeaderLatch and InterProcessMutex: an ephemeral-sequential
/// node with a "protected" name `_c_<uuid>-<lockName><seq>`, ordered by sequence number;
/// the first holds the lock, every other watches only its predecessor (no herd effect).
struct SequentialCandidate: Sendable {
    let client: ZooKeeperClient
    let parent: String
    /// `latch-` (LeaderLatch) or `lock-` (InterProcessMutex).
    let lockName: String
    /// Curator's protected id: a lowercase UUID, the same across retries of one create.
    let protectedId: String

    init(client: ZooKeeperClient, parent: String, lockName: String, protectedId: String = UUID().uuidString.lowercased()) {
        self.client = client
        self.parent = parent
        self.lockName = lockName
        self.protectedId = protectedId
    }

    var prefix: String { "_c_\(protectedId)-\(lockName)" }

    /// Creates our node (parents as containers, as Curator's `creatingParentContainersIfNeeded`).
    /// A create that lost its connection is found again by its protected prefix, never duplicated.
    func createNode(data: [UInt8] = []) async throws -> (path: String, czxid: Int64) {
        var attempt = 0
        while true {
            do {
                let (path, stat) = try await client.createWithStat(parent + "/" + prefix, data: data, options: .ephemeralSequential)
                return (path, stat.czxid)
            } catch let error as ZooKeeperError where error.code == .noNode {
                try await ensureParents()
            } catch let error as ZooKeeperError where error.isRetryable && attempt < 10 {
                attempt += 1
                if let found = try await findOurNode() { return found }
            }
        }
    }

    func findOurNode() async throws -> (path: String, czxid: Int64)? {
        let children = try await client.withRetry { try await $0.getChildren(parent) }
        guard let name = children.first(where: { $0.hasPrefix("_c_\(protectedId)-") }) else { return nil }
        guard let stat = try await client.exists(parent + "/" + name) else { return nil }
        return (parent + "/" + name, stat.czxid)
    }

    func ensureParents() async throws {
        var path = ""
        for component in parent.split(separator: "/") {
            path += "/" + component
            do {
                try await client.create(path, options: .container)
            } catch let error as ZooKeeperError where error.code == .nodeExists {
            }
        }
    }

    /// Curator's `StandardLockInternalsDriver.fixForSorting`: the part after the lock name.
    static func sequence(of name: String, lockName: String) -> String {
        guard let r = name.range(of: lockName, options: .backwards) else { return name }
        return String(name[r.upperBound...])
    }

    /// The participants in order (node names).
    func sortedChildren() async throws -> [String] {
        try await client.getChildren(parent)
            .filter { $0.contains(lockName) }
            .sorted { Self.sequence(of: $0, lockName: lockName) < Self.sequence(of: $1, lockName: lockName) }
    }

    enum Position: Sendable {
        case first
        /// Our node is gone (session expired, or someone deleted it).
        case gone
        /// Wait for this watch on the predecessor, then look again.
        case waiting(Watch)
    }

    /// Where `ourPath` stands; when not first, sets a watch on the predecessor only.
    func position(of ourPath: String) async throws -> Position {
        while true {
            let children = try await sortedChildren()
            let ourName = String(ourPath.split(separator: "/").last ?? "")
            guard let index = children.firstIndex(of: ourName) else { return .gone }
            if index == 0 { return .first }
            let predecessor = parent + "/" + children[index - 1]
            let (stat, watch) = try await client.exists(predecessor, watch: true)
            if stat != nil { return .waiting(watch) }
            // The predecessor vanished between the listing and the watch: look again.
        }
    }
}
