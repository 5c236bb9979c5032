import ZooKeeperWire

extension ZooKeeperClient {
    nonisolated func serverPath(_ path: String, sequential: Bool = false) throws -> String {
        try PathValidation.validate(path, sequential: sequential)
        return configuration.connectionString.serverPath(path)
    }

    nonisolated func clientPath(_ path: String) -> String { configuration.connectionString.clientPath(path) }

    // MARK: create

    /// Creates a node and returns its actual path (sequential modes append a counter).
    /// `data: nil` creates it with null data (as zkCli's `create /path` without data).
    @discardableResult
    public func create(_ path: String, data: [UInt8]? = [], options: CreateOptions = .persistent) async throws -> String {
        let request = try createRequest(path, data: data, options: options, withStat: false)
        switch try await send(request, path: path) {
        case .create(let p), .create2(let p, _): return clientPath(p)
        default: throw ZooKeeperError(.protocolError("unexpected create response"), path: path)
        }
    }

    /// Creates a node and returns its path and `Stat` (create2, createContainer, createTTL).
    @discardableResult
    public func createWithStat(_ path: String, data: [UInt8]? = [], options: CreateOptions = .persistent) async throws -> (path: String, stat: Stat) {
        let request = try createRequest(path, data: data, options: options, withStat: true)
        guard case .create2(let p, let stat) = try await send(request, path: path) else {
            throw ZooKeeperError(.protocolError("unexpected create2 response"), path: path)
        }
        return (clientPath(p), stat)
    }

    nonisolated func createRequest(_ path: String, data: [UInt8]?, options: CreateOptions, withStat: Bool) throws -> ZooKeeperRequest {
        let body = CreateRequest(
            path: try serverPath(path, sequential: options.mode.isSequential), data: data, acl: options.acl,
            flags: options.mode.rawValue, ttl: options.ttl)
        if options.mode.isTTL {
            guard options.ttl > 0 else { throw ZooKeeperError(.badArguments("ttl must be positive"), path: path) }
            return .createTTL(body)
        }
        if options.mode.isContainer { return .createContainer(body) }
        return withStat ? .create2(body) : .create(body)
    }

    // MARK: delete, exists, data

    public func delete(_ path: String, version: Int32 = -1) async throws {
        _ = try await send(.delete(PathVersionRequest(path: try serverPath(path), version: version)), path: path)
    }

    /// The node's `Stat`, or nil when it does not exist.
    public func exists(_ path: String) async throws -> Stat? {
        try await exists(path, watch: false).stat
    }

    /// `exists` plus a one-shot watch: fires on create, delete or data change of `path`.
    public func exists(_ path: String, watch: Bool) async throws -> (stat: Stat?, watch: Watch) {
        let sp = try serverPath(path)
        let (pending, stream) = makeWatch(watch, kind: .data, serverPath: sp, registerOnNoNode: true)
        do {
            switch try await send(.exists(PathWatchRequest(path: sp, watch: watch)), path: path, watch: pending) {
            case .stat(let stat): return (stat, stream)
            default:
                // The node is missing: the watch (if any) was registered as an exist watch.
                return (nil, stream)
            }
        } catch let error as ZooKeeperError where error.code == .noNode {
            return (nil, stream)
        }
    }

    public func getData(_ path: String) async throws -> NodeData {
        try await getData(path, watch: false).node
    }

    /// `getData` plus a one-shot watch: fires on delete or data change of `path`.
    public func getData(_ path: String, watch: Bool) async throws -> (node: NodeData, watch: Watch) {
        let sp = try serverPath(path)
        let (pending, stream) = makeWatch(watch, kind: .data, serverPath: sp, registerOnNoNode: false)
        guard case .getData(let data, let stat) = try await send(.getData(PathWatchRequest(path: sp, watch: watch)), path: path, watch: pending) else {
            throw ZooKeeperError(.protocolError("unexpected getData response"), path: path)
        }
        return (NodeData(data: data, stat: stat), stream)
    }

    /// `data: nil` sets null data.
    @discardableResult
    public func setData(_ path: String, data: [UInt8]?, version: Int32 = -1) async throws -> Stat {
        guard case .stat(let stat) = try await send(.setData(SetDataRequest(path: try serverPath(path), data: data, version: version)), path: path) else {
            throw ZooKeeperError(.protocolError("unexpected setData response"), path: path)
        }
        return stat
    }

    /// `reconfig` (ZooKeeperAdmin): incremental (`joining` `server.N=...` specs, `leaving`
    /// ids, comma-separated) or non-incremental (`newMembers`); `fromConfig` -1 skips the
    /// config version check. Returns the new configuration's data and Stat.
    public func reconfig(joining: String?, leaving: String?, newMembers: String?, fromConfig: Int64 = -1) async throws -> (data: [UInt8], stat: Stat) {
        let request = ReconfigRequest(joiningServers: joining, leavingServers: leaving, newMembers: newMembers, curConfigId: fromConfig)
        guard case .getData(let data, let stat) = try await send(.reconfig(request), path: "") else {
            throw ZooKeeperError(.protocolError("unexpected reconfig response"), path: "")
        }
        return (data ?? [], stat)
    }

    // MARK: children

    public func getChildren(_ path: String) async throws -> [String] {
        try await getChildren(path, watch: false).children
    }

    /// `getChildren` plus a one-shot watch: fires when a child is added or removed, or `path` is deleted.
    public func getChildren(_ path: String, watch: Bool) async throws -> (children: [String], watch: Watch) {
        let sp = try serverPath(path)
        let (pending, stream) = makeWatch(watch, kind: .child, serverPath: sp, registerOnNoNode: false)
        guard case .children(let children) = try await send(.getChildren(PathWatchRequest(path: sp, watch: watch)), path: path, watch: pending) else {
            throw ZooKeeperError(.protocolError("unexpected getChildren response"), path: path)
        }
        return (children, stream)
    }

    /// getChildren2: the children and the parent's `Stat`.
    public func getChildrenWithStat(_ path: String, watch: Bool = false) async throws -> (children: [String], stat: Stat, watch: Watch) {
        let sp = try serverPath(path)
        let (pending, stream) = makeWatch(watch, kind: .child, serverPath: sp, registerOnNoNode: false)
        guard case .children2(let children, let stat) = try await send(.getChildren2(PathWatchRequest(path: sp, watch: watch)), path: path, watch: pending) else {
            throw ZooKeeperError(.protocolError("unexpected getChildren2 response"), path: path)
        }
        return (children, stat, stream)
    }

    /// The number of all descendants of `path`.
    public func getAllChildrenNumber(_ path: String) async throws -> Int32 {
        guard case .allChildrenNumber(let n) = try await send(.getAllChildrenNumber(PathRecord(path: try serverPath(path))), path: path) else {
            throw ZooKeeperError(.protocolError("unexpected getAllChildrenNumber response"), path: path)
        }
        return n
    }

    /// The session's ephemeral nodes whose paths start with `prefix` ("/" for all).
    public func getEphemerals(_ prefix: String = "/") async throws -> [String] {
        let sp = configuration.connectionString.serverPath(prefix)
        guard case .ephemerals(let paths) = try await send(.getEphemerals(PathRecord(path: sp)), path: prefix) else {
            throw ZooKeeperError(.protocolError("unexpected getEphemerals response"), path: prefix)
        }
        return paths.map(clientPath)
    }

    // MARK: ACLs, auth, sync

    public func getACL(_ path: String) async throws -> (acl: [ACL], stat: Stat) {
        guard case .acl(let acl, let stat) = try await send(.getACL(PathRecord(path: try serverPath(path))), path: path) else {
            throw ZooKeeperError(.protocolError("unexpected getACL response"), path: path)
        }
        return (acl, stat)
    }

    @discardableResult
    public func setACL(_ path: String, acl: [ACL], version: Int32 = -1) async throws -> Stat {
        guard case .stat(let stat) = try await send(.setACL(SetACLRequest(path: try serverPath(path), acl: acl, version: version)), path: path) else {
            throw ZooKeeperError(.protocolError("unexpected setACL response"), path: path)
        }
        return stat
    }

    /// Brings the server this client is on up to date with the leader for `path`.
    @discardableResult
    public func sync(_ path: String) async throws -> String {
        guard case .sync(let p) = try await send(.sync(PathRecord(path: try serverPath(path))), path: path) else {
            throw ZooKeeperError(.protocolError("unexpected sync response"), path: path)
        }
        return clientPath(p)
    }

    /// The identities of this session (`ip`, `digest`, …).
    public func whoAmI() async throws -> [ClientInfo] {
        guard case .whoAmI(let infos) = try await send(.whoAmI, path: nil) else {
            throw ZooKeeperError(.protocolError("unexpected whoAmI response"))
        }
        return infos
    }

    /// Adds credentials to the session; they are re-sent after every reconnect.
    /// A rejected credential fails with `.authFailed` and ends the client (as ZooKeeper closes it).
    public func addAuth(scheme: String, auth: [UInt8]) async throws {
        let packet = AuthPacket(type: 0, scheme: scheme, auth: auth)
        let token = RequestToken(raw: takeID())
        _ = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ZooKeeperResponse, any Error>) in
            continuations[token] = continuation
            switch machine.authSubmitted(packet, token: token, now: .now()) {
            case .write:
                channel?.writeAndFlush(ChannelGlue.requestFrame(xid: SpecialXid.auth, .auth(packet)), promise: nil)
            case .queued:
                succeed(token, .empty)
            case .fail(let error):
                fail(token, error)
            }
        }
    }

    /// `addauth digest user:password`.
    public func addDigestAuth(user: String, password: String) async throws {
        try await addAuth(scheme: "digest", auth: Array("\(user):\(password)".utf8))
    }
}
