import ZooKeeperClient
import ZooKeeperWire

/// A change seen by a `TreeCache`.
public enum TreeCacheEvent: Hashable, Sendable {
    case added(path: String, node: NodeData)
    case updated(path: String, node: NodeData)
    case removed(path: String)
    /// The initial load (or a reload after a reconnect) finished.
    case initialized
}

/// A local mirror of a subtree (Curator's `TreeCache`): a persistent recursive watch drives
/// updates; after a reconnect the subtree is re-read and the differences are reported.
public actor TreeCache {
    public nonisolated let root: String
    private let client: ZooKeeperClient
    private var nodes: [String: NodeData] = [:]
    private var listeners: [Int: AsyncStream<TreeCacheEvent>.Continuation] = [:]
    private var nextListener = 0
    private var tasks: [Task<Void, Never>] = []

    public init(client: ZooKeeperClient, root: String) {
        self.client = client
        self.root = root
    }

    /// The mirrored nodes by path.
    public var snapshot: [String: NodeData] { nodes }
    public func node(_ path: String) -> NodeData? { nodes[path] }

    public func events() -> AsyncStream<TreeCacheEvent> {
        let (stream, continuation) = AsyncStream<TreeCacheEvent>.makeStream()
        let id = nextListener
        nextListener += 1
        listeners[id] = continuation
        continuation.onTermination = { _ in Task { await self.removeListener(id) } }
        return stream
    }

    private func removeListener(_ id: Int) { listeners[id] = nil }

    /// Watches first (so nothing is missed), then loads the subtree.
    public func start() async throws {
        let watch = try await client.addWatch(root, mode: .persistentRecursive)
        let states = await client.connectionStates()
        try await reload()
        tasks.append(Task { [weak self] in
            for await event in watch { await self?.handle(event) }
        })
        tasks.append(Task { [weak self] in
            for await state in states where state == .reconnected { try? await self?.reload() }
        })
    }

    public func close() async {
        for t in tasks { t.cancel() }
        tasks = []
        try? await client.removeWatches(root, type: .any)
        for c in listeners.values { c.finish() }
        listeners = [:]
    }

    private func emit(_ event: TreeCacheEvent) {
        for c in listeners.values { c.yield(event) }
    }

    private func handle(_ event: WatchEvent) async {
        switch event.type {
        case .nodeCreated, .nodeDataChanged:
            await refresh(event.path)
        case .nodeDeleted:
            remove(event.path)
        default:
            break
        }
    }

    private func refresh(_ path: String) async {
        do {
            let node = try await client.getData(path)
            let old = nodes.updateValue(node, forKey: path)
            if old == nil {
                emit(.added(path: path, node: node))
            } else if old != node {
                emit(.updated(path: path, node: node))
            }
        } catch let e as ZooKeeperError where e.code == .noNode {
            remove(path)
        } catch {
        }
    }

    private func remove(_ path: String) {
        let prefix = path == "/" ? "/" : path + "/"
        for p in nodes.keys.filter({ $0 == path || $0.hasPrefix(prefix) }).sorted(by: >) {
            nodes[p] = nil
            emit(.removed(path: p))
        }
    }

    /// Reads the whole subtree breadth-first and reports what differs from the mirror.
    private func reload() async throws {
        var fresh: [String: NodeData] = [:]
        var queue = [root]
        while !queue.isEmpty {
            let path = queue.removeFirst()
            do {
                fresh[path] = try await client.getData(path)
                let children = try await client.getChildren(path).sorted()
                queue += children.map { path == "/" ? "/" + $0 : path + "/" + $0 }
            } catch let e as ZooKeeperError where e.code == .noNode {
                continue
            }
        }
        for (path, node) in fresh.sorted(by: { $0.key < $1.key }) {
            let old = nodes.updateValue(node, forKey: path)
            if old == nil { emit(.added(path: path, node: node)) } else if old != node { emit(.updated(path: path, node: node)) }
        }
        for path in nodes.keys.filter({ fresh[$0] == nil }).sorted(by: >) {
            nodes[path] = nil
            emit(.removed(path: path))
        }
        emit(.initialized)
    }
}
