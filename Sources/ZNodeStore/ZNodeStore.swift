import ZooKeeperWire

/// The replicated state machine: the znode tree, sessions (ephemeral owners), ACLs and
/// watches. Pure and single-threaded: the owner serialises calls. Committed txns go
/// through `apply`, local reads through `read`; watch events queue up for
/// `drainNotifications`.
public final class ZNodeStore {
    public let config: ZNodeStoreConfig
    public internal(set) var lastZxid: Int64 = 0

    let root: ZNode
    var acls = ACLCache()
    var sessionTimeouts: [Int64: Int32] = [:]
    /// The server (txn origin) each session is attached to; absent or 0 = unknown/any.
    var sessionOwners: [Int64: Int32] = [:]
    var ephemerals: [Int64: Set<String>] = [:]
    var containers: Set<String> = []
    var ttls: Set<String> = []
    /// Paths with a quota (ZooKeeper's `pTrie`): those with a `zookeeper_limits` node.
    var quotaPaths: Set<String> = []
    /// Number of znodes in the tree, the root included.
    public internal(set) var nodeCount = 1
    /// Sum over znodes of path length + data length (ZooKeeper's `approximateDataSize`).
    public internal(set) var approximateDataSize = 0

    /// The current auth of each watching session, for filtering events by READ permission.
    var sessionAuth: [Int64: AuthContext] = [:]
    var dataWatches = WatchManager()
    var childWatches = WatchManager()
    var notifications: [WatchNotification] = []
    /// Watch triggers of the txn being applied; fired only if it succeeds.
    var pendingTriggers: [Trigger] = []
    /// Undo records while a multi is being applied.
    var undoLog: [Undo]?
    /// The incremental snapshot in progress, whose pre-images the mutations keep.
    var activeSnapshot: SnapshotBuilder?

    static let specialPaths: Set<String> = ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"]

    public init(config: ZNodeStoreConfig = ZNodeStoreConfig()) {
        self.config = config
        let openIndex = acls.retain(ACL.openUnsafe)
        root = ZNode(data: [], aclIndex: openIndex, zxid: 0, time: 0, ephemeralOwner: 0)
        // DataTree's constructor: /zookeeper, /zookeeper/quota and /zookeeper/config with all-zero
        // stats (addChild does not bump cversion, so clients see cversion = -numChildren).
        let zk = ZNode(data: [], aclIndex: openIndex, zxid: 0, time: 0, ephemeralOwner: 0)
        acls.retain(index: openIndex)
        let quota = ZNode(data: [], aclIndex: openIndex, zxid: 0, time: 0, ephemeralOwner: 0)
        acls.retain(index: openIndex)
        // addConfigNode: READ_ACL_UNSAFE set via setACL(..., version -1), hence aversion -1.
        let cfg = ZNode(data: [], aclIndex: acls.retain(ACL.readUnsafe), zxid: 0, time: 0, ephemeralOwner: 0)
        cfg.aversion = -1
        root.children[NodeName("zookeeper")] = zk
        zk.children[NodeName("quota")] = quota
        zk.children[NodeName("config")] = cfg
        nodeCount = 4
        approximateDataSize = "/zookeeper".utf8.count + "/zookeeper/quota".utf8.count + "/zookeeper/config".utf8.count
    }

    /// Releases the tree iteratively: a very deep chain of nodes would otherwise be
    /// released recursively and could overflow the stack.
    deinit {
        // The walk of an unfinished snapshot would see the tree being torn down.
        activeSnapshot?.abandon()
        var stack = [root]
        while let n = stack.popLast() {
            stack.append(contentsOf: n.children.values)
            n.children = [:]
        }
    }

    /// Internal: an empty store without system nodes, filled by `deserialize`.
    init(config: ZNodeStoreConfig, root: ZNode) {
        self.config = config
        self.root = root
    }

    // MARK: - Lookup

    /// The node at an exact path ("" and "/" are the root), without allocating per segment
    /// beyond the (usually inline) name strings.
    func node(at path: String) -> ZNode? {
        let u = path.utf8
        if u.isEmpty { return root }
        guard u.first == UInt8(ascii: "/") else { return nil }
        if u.count == 1 { return root }
        var n = root
        var start = u.index(after: u.startIndex)
        while true {
            let end = u[start...].firstIndex(of: UInt8(ascii: "/")) ?? u.endIndex
            if start == end { return nil }
            guard let c = n.children[NodeName(String(path[start..<end]))] else { return nil }
            n = c
            if end == u.endIndex { return n }
            start = u.index(after: end)
        }
    }

    func kind(of node: ZNode) -> EphemeralKind {
        EphemeralKind(owner: node.ephemeralOwner, extendedTypes: config.extendedTypesEnabled)
    }

    func stat(_ node: ZNode) -> Stat { node.stat(extendedTypes: config.extendedTypesEnabled) }

    func acl(of node: ZNode) -> [ACL] { acls[node.aclIndex] }

    // MARK: - Sessions

    public var sessions: [Int64: SessionInfo] {
        var out: [Int64: SessionInfo] = [:]
        for (id, timeout) in sessionTimeouts {
            out[id] = SessionInfo(timeout: timeout, ephemeralPaths: sortedPaths(ephemerals[id] ?? []))
        }
        return out
    }

    public func isSessionLive(_ id: Int64) -> Bool { sessionTimeouts[id] != nil }

    /// The server a live session is attached to (0 when unknown).
    public func sessionOwner(_ id: Int64) -> Int32 { sessionOwners[id] ?? 0 }

    public func ephemeralCount() -> Int { ephemerals.values.reduce(0) { $0 + $1.count } }

    /// `nodeCount + 1`: ZooKeeper's `DataTree.getNodeCount()` (mntr `zk_znode_count`)
    /// counts the root twice, under "" and "/".
    public var zooKeeperNodeCount: Int { nodeCount + 1 }

    func sortedPaths(_ s: Set<String>) -> [String] {
        s.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    // MARK: - Apply

    /// Applies a committed txn: validates (paths, versions, ACLs with the txn's auth, the
    /// ephemeral owner's session, …), mutates, and queues watch events.
    /// A failed txn changes nothing but `lastZxid` (ZooKeeper logs it as an error txn).
    public func apply(_ txn: Txn) -> ApplyResult {
        if txn.zxid > lastZxid { lastZxid = txn.zxid }
        pendingTriggers = []
        switch txn.kind {
        case .createSession(let timeout):
            sessionTimeouts[txn.sessionId] = timeout
            if txn.origin != 0 { sessionOwners[txn.sessionId] = txn.origin }
            return .ok(.empty)
        case .closeSession:
            closeSession(txn)
            sessionOwners[txn.sessionId] = nil
            firePendingTriggers()
            return .ok(.empty)
        case .attachSession:
            guard sessionTimeouts[txn.sessionId] != nil else { return .failure(.sessionExpired) }
            sessionOwners[txn.sessionId] = txn.origin
            return .ok(.empty)
        case .request(let request, let auth):
            // ZooKeeper's checkSession(id, owner): a write from a server the session has
            // moved away from changes nothing.
            if txn.origin != 0, let owner = sessionOwners[txn.sessionId], owner != 0, owner != txn.origin {
                return .failure(.sessionMoved)
            }
            let ctx = OpContext(sessionId: txn.sessionId, zxid: txn.zxid, time: txn.time, auth: auth)
            if case .multi(let ops) = request {
                return applyMulti(ops, ctx)
            }
            switch applyOp(request, ctx, inMulti: false) {
            case .success(let outcome):
                firePendingTriggers()
                return .ok(outcome.response)
            case .failure(let error):
                pendingTriggers = []
                return .failure(error)
            }
        }
    }

    /// Watch notifications produced since the last drain, in order.
    public func drainNotifications() -> [(sessionId: Int64, event: WatcherEvent)] {
        defer { notifications = [] }
        return notifications
    }
}

/// The txn-level facts every op needs.
struct OpContext {
    var sessionId: Int64
    var zxid: Int64
    var time: Int64
    var auth: AuthContext
}

/// What an op produced: its standalone response and its entry in a multi response.
struct OpOutcome {
    var response: ZooKeeperResponse
    var multiResult: MultiResult
}

extension ZNodeStore {
    /// Sets the data of `/zookeeper/config` (the ensemble's `server.N=` lines and
    /// `version=`), as ZooKeeper does from its static configuration at start. Every replica
    /// starts from the same configuration, so the state stays identical; stats are untouched.
    public func setSystemConfigData(_ data: [UInt8]) {
        guard let zk = root.children[NodeName("zookeeper")], let cfg = zk.children[NodeName("config")] else { return }
        willMutate(cfg)
        approximateDataSize += data.count - cfg.dataSize
        cfg.data = data
    }
}
