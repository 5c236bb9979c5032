import ZooKeeperWire

/// A watch notification, path relative to the chroot. `type == .none` carries a
/// connection-state change (`state` is `.disconnected`, `.expired`, `.closed`, …).
public struct WatchEvent: Hashable, Sendable, CustomStringConvertible {
    public var type: EventType
    public var state: KeeperState
    public var path: String

    public init(type: EventType, state: KeeperState = .syncConnected, path: String) {
        self.type = type; self.state = state; self.path = path
    }

    /// zkCli's `WatchedEvent state:SyncConnected type:NodeDataChanged path:/a`.
    public var description: String {
        "WatchedEvent state:\(state.javaName) type:\(type.javaName) path:\(type == .none && path.isEmpty ? "null" : path)"
    }
}

extension EventType {
    /// `Watcher.Event.EventType` constant names.
    public var javaName: String {
        switch self {
        case .none: "None"
        case .nodeCreated: "NodeCreated"
        case .nodeDeleted: "NodeDeleted"
        case .nodeDataChanged: "NodeDataChanged"
        case .nodeChildrenChanged: "NodeChildrenChanged"
        case .dataWatchRemoved: "DataWatchRemoved"
        case .childWatchRemoved: "ChildWatchRemoved"
        case .persistentWatchRemoved: "PersistentWatchRemoved"
        }
    }
}

extension KeeperState {
    /// `Watcher.Event.KeeperState` constant names.
    public var javaName: String {
        switch self {
        case .disconnected: "Disconnected"
        case .syncConnected: "SyncConnected"
        case .authFailed: "AuthFailed"
        case .connectedReadOnly: "ConnectedReadOnly"
        case .saslAuthenticated: "SaslAuthenticated"
        case .expired: "Expired"
        case .closed: "Closed"
        }
    }
}

/// Connection states as Curator's `ConnectionStateListener` reports them.
public enum ConnectionState: Hashable, Sendable {
    /// The first session was established.
    case connected
    /// The connection was lost; the session may still be alive on the server.
    case suspended
    /// A new connection carries the same session again.
    case reconnected
    /// The server declared the session expired; ephemerals and watches are gone. Terminal.
    case expired
    /// The server rejected the credentials. Terminal.
    case authFailed
    /// `close()` was called. Terminal.
    case closed
}

/// One-shot watch: resolves with the first event on the watched node, then finishes.
/// If the session expires or the client closes first, it yields a `type == .none` event.
public struct Watch: AsyncSequence, Sendable {
    public typealias Element = WatchEvent
    let stream: AsyncStream<WatchEvent>

    public func makeAsyncIterator() -> AsyncStream<WatchEvent>.AsyncIterator { stream.makeAsyncIterator() }

    /// Waits for the one event. Consume a `Watch` only once.
    public func event() async -> WatchEvent? {
        var iterator = stream.makeAsyncIterator()
        return await iterator.next()
    }
}

/// How a node is created: `CreateMode` plus a TTL for the TTL modes.
public struct CreateOptions: Hashable, Sendable {
    public var mode: CreateMode
    /// Milliseconds; only for `.persistentWithTTL` / `.persistentSequentialWithTTL`.
    public var ttl: Int64
    public var acl: [ACL]

    public init(mode: CreateMode = .persistent, ttl: Int64 = 0, acl: [ACL] = ACL.openUnsafe) {
        self.mode = mode; self.ttl = ttl; self.acl = acl
    }

    public static let persistent = CreateOptions(mode: .persistent)
    public static let ephemeral = CreateOptions(mode: .ephemeral)
    public static let persistentSequential = CreateOptions(mode: .persistentSequential)
    public static let ephemeralSequential = CreateOptions(mode: .ephemeralSequential)
    public static let container = CreateOptions(mode: .container)
    public static func ttl(_ milliseconds: Int64, sequential: Bool = false) -> CreateOptions {
        CreateOptions(mode: sequential ? .persistentSequentialWithTTL : .persistentWithTTL, ttl: milliseconds)
    }
}

/// One operation inside `multi` (writes and checks) or `multiRead` (reads).
public enum MultiOp: Hashable, Sendable {
    case create(path: String, data: [UInt8]? = [], options: CreateOptions = .persistent)
    case delete(path: String, version: Int32 = -1)
    case setData(path: String, data: [UInt8]?, version: Int32 = -1)
    case check(path: String, version: Int32)
    case getData(path: String)
    case getChildren(path: String)

    var path: String {
        switch self {
        case .create(let p, _, _), .delete(let p, _), .setData(let p, _, _), .check(let p, _), .getData(let p), .getChildren(let p): p
        }
    }
}

/// The result of one `MultiOp`.
public enum OpResult: Hashable, Sendable {
    /// `stat` is nil when the server answers with a plain create result (ZooKeeper 3.8 does so inside multi).
    case created(path: String, stat: Stat?)
    case deleted
    case setData(Stat)
    case checked
    /// nil data: the node's data is null.
    case data([UInt8]?, Stat)
    case children([String])
    /// This op failed with `code` (in a failed multi, ops that were fine report `.ok`
    /// and the ops after the failing one `RUNTIMEINCONSISTENCY`, as ZooKeeper does).
    case error(ErrorCode)
}

/// Data plus stat, from `getData`. ZooKeeper keeps null data (a node created or set with
/// null, e.g. zkCli's `create /a`) apart from empty data: `value` is nil for null, and
/// `data` reads it as empty for callers that do not care.
public struct NodeData: Hashable, Sendable {
    public var value: [UInt8]?
    public var stat: Stat
    public init(data: [UInt8]?, stat: Stat) { self.value = data; self.stat = stat }

    /// The data, empty when null.
    public var data: [UInt8] {
        get { value ?? [] }
        set { value = newValue }
    }

    /// The node's data is null (getData answered a -1 buffer; `stat.dataLength` is 0).
    public var isNull: Bool { value == nil }
}

/// `ZooDefs.Ids`-style helpers for digest ACLs.
extension Id {
    public static func digest(_ digest: String) -> Id { Id(scheme: "digest", id: digest) }
    public static func ip(_ address: String) -> Id { Id(scheme: "ip", id: address) }
}
