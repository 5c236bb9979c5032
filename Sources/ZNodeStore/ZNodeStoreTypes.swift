import ZooKeeperWire

/// Settings that change how the state machine behaves; identical on every replica.
public struct ZNodeStoreConfig: Sendable, Hashable {
    /// `zookeeper.extendedTypesEnabled`: TTL nodes (createTTL, CreateMode 5/6).
    public var extendedTypesEnabled: Bool
    /// `zookeeper.DigestAuthenticationProvider.superDigest`, `"super:base64(sha1(super:password))"`.
    public var superDigest: String?
    /// `znode.container.maxNeverUsedIntervalMs`: reap containers that never had a child after this long (0 = never).
    public var containerMaxNeverUsedIntervalMs: Int64
    /// `zookeeper.enforceQuota`: creates/setData beyond a hard quota limit fail with QUOTAEXCEEDED.
    public var enforceQuota: Bool

    public init(extendedTypesEnabled: Bool = false, superDigest: String? = nil,
                containerMaxNeverUsedIntervalMs: Int64 = 0, enforceQuota: Bool = false) {
        self.extendedTypesEnabled = extendedTypesEnabled
        self.superDigest = superDigest
        self.containerMaxNeverUsedIntervalMs = containerMaxNeverUsedIntervalMs
        self.enforceQuota = enforceQuota
    }
}

/// Who is asking: ids from the connection (`ip:<addr>`) and addauth (`digest:user:hash`, …).
public struct AuthContext: Sendable, Hashable {
    public var ids: [Id]
    /// Bypasses every ACL check (as an `Id("super", "")` in ZooKeeper's authInfo does).
    public var isSuper: Bool
    public init(ids: [Id] = [], isSuper: Bool = false) { self.ids = ids; self.isSuper = isSuper }

    /// `isSuper` or any id of scheme `super`.
    public var bypassesACL: Bool { isSuper || ids.contains { $0.scheme == "super" } }
}

/// A committed write. The leader stamps zxid and time so that apply is deterministic on every replica.
public struct Txn: Sendable, Hashable {
    public var sessionId: Int64
    public var cxid: Int32
    public var zxid: Int64
    /// Milliseconds since the epoch, stamped by the leader.
    public var time: Int64
    public var kind: TxnKind
    /// The server the txn was proposed on (0: unknown, e.g. unit tests). A session's
    /// writes must come from the server that owns it (see `TxnKind.attachSession`).
    public var origin: Int32
    public init(sessionId: Int64, cxid: Int32 = 0, zxid: Int64, time: Int64, kind: TxnKind, origin: Int32 = 0) {
        self.sessionId = sessionId; self.cxid = cxid; self.zxid = zxid; self.time = time; self.kind = kind
        self.origin = origin
    }
}

public enum TxnKind: Sendable, Hashable {
    case createSession(timeout: Int32)
    /// Client close or expiry: deletes the session's ephemerals (firing watches).
    case closeSession
    /// A client resumed the session on the txn's origin server, which becomes its owner:
    /// later writes proposed elsewhere fail with SESSIONMOVED (ZooKeeper's `setOwner`).
    case attachSession
    /// create/create2/createContainer/createTTL/delete/deleteContainer/setData/setACL/check/multi.
    case request(ZooKeeperRequest, auth: AuthContext)
}

public struct ApplyResult: Sendable, Hashable {
    public var error: ErrorCode
    /// nil on error.
    public var response: ZooKeeperResponse?
    public init(error: ErrorCode, response: ZooKeeperResponse?) { self.error = error; self.response = response }
    public static func ok(_ response: ZooKeeperResponse) -> ApplyResult { ApplyResult(error: .ok, response: response) }
    public static func failure(_ error: ErrorCode) -> ApplyResult { ApplyResult(error: error, response: nil) }
}

/// A live session as the replicated state knows it.
public struct SessionInfo: Sendable, Hashable {
    public var timeout: Int32
    /// Paths of the session's ephemeral nodes, sorted.
    public var ephemeralPaths: [String]
    public init(timeout: Int32, ephemeralPaths: [String]) { self.timeout = timeout; self.ephemeralPaths = ephemeralPaths }
}

/// A watch notification for one session.
public typealias WatchNotification = (sessionId: Int64, event: WatcherEvent)

/// Errors of `ZNodeStore.deserialize`.
public enum SnapshotError: Error, Hashable, Sendable {
    case badMagic
    case unsupportedVersion(UInt32)
    case truncated
    case corrupt(String)
}
