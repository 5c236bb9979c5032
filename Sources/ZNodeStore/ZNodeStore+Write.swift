import ZooKeeperWire

/// Write ops: one section per op with its checks (in ZooKeeper's order, from
/// `PrepRequestProcessor`) followed by its mutation (from `DataTree`).
extension ZNodeStore {
    func applyOp(_ request: ZooKeeperRequest, _ ctx: OpContext, inMulti: Bool) -> Result<OpOutcome, ErrorCode> {
        switch request {
        case .create(let r): return create(r, op: .create, ctx, inMulti: inMulti)
        case .create2(let r): return create(r, op: .create2, ctx, inMulti: inMulti)
        case .createContainer(let r): return create(r, op: .createContainer, ctx, inMulti: inMulti)
        case .createTTL(let r): return create(r, op: .createTTL, ctx, inMulti: inMulti)
        case .delete(let r): return delete(r, ctx)
        case .deleteContainer(let r):
            if inMulti { return .failure(.marshallingError) }
            return deleteContainer(r.path, ctx)
        case .setData(let r): return setData(r, ctx)
        case .setACL(let r):
            if inMulti { return .failure(.marshallingError) }
            return setACL(r, ctx)
        case .check(let r): return check(r, ctx)
        default:
            return .failure(inMulti ? .marshallingError : .unimplemented)
        }
    }

    // MARK: create / create2 / createContainer / createTTL

    func create(_ r: CreateRequest, op requestOp: OpCode, _ ctx: OpContext, inMulti: Bool) -> Result<OpOutcome, ErrorCode> {
        guard let mode = CreateMode(rawValue: r.flags) else { return .failure(.badArguments) }
        var op = requestOp
        var ttl: Int64 = requestOp == .createTTL ? r.ttl : -1
        if inMulti {
            // ZooKeeper 3.8.0's MultiOperationRecord rebuilds every create as Op.create(…, flags):
            // the opcode follows the flags (TTL → createTTL, container → createContainer, else create).
            if mode.isTTL {
                guard requestOp == .createTTL else { return .failure(.badArguments) }
                op = .createTTL
            } else {
                op = mode.isContainer ? .createContainer : .create
                ttl = -1
            }
        }
        if mode.isTTL && !config.extendedTypesEnabled { return .failure(.unimplemented) }
        // createTTL with a non-TTL mode: ZooKeeper refuses ttl >= 0 here and would fail
        // later in DataTree for a negative one; refuse both.
        if op == .createTTL && !mode.isTTL { return .failure(.badArguments) }
        if mode.isTTL {
            if ttl <= 0 || ttl > EphemeralKind.maxTTL { return .failure(.badArguments) }
        } else if ttl >= 0 {
            return .failure(.badArguments)
        }
        if mode.isEphemeral && sessionTimeouts[ctx.sessionId] == nil { return .failure(.sessionExpired) }
        guard let (parentPath, requestedName) = PathUtils.split(r.path), !r.path.utf8.contains(0) else {
            return .failure(.badArguments)
        }
        guard let acl = ACLRules.fixup(r.acl, ctx.auth) else { return .failure(.invalidACL) }
        guard let parent = node(at: parentPath) else { return .failure(.noNode) }
        guard ACLRules.check(self.acl(of: parent), .create, ctx.auth) else { return .failure(.noAuth) }
        var path = r.path
        if mode.isSequential { path += PathUtils.sequenceSuffix(parent.cversion) }
        guard PathUtils.isValid(path) else { return .failure(.badArguments) }
        // A valid path's parent is `parentPath` (a sequence suffix adds no '/'); an empty
        // name means the path is "/" itself.
        let name = NodeName(mode.isSequential ? PathUtils.split(path)!.name : requestedName)
        if name.string.isEmpty || parent.children[name] != nil { return .failure(.nodeExists) }
        if kind(of: parent) == .normal { return .failure(.noChildrenForEphemerals) }
        if !quotaAllows(path: path, bytesDiff: r.data?.count ?? 0, countDiff: 1) { return .failure(.quotaExceeded) }

        let owner: Int64
        switch op {
        case .createContainer: owner = EphemeralKind.containerOwner
        case .createTTL: owner = EphemeralKind.ttlOwner(ttl)
        default: owner = mode.isEphemeral ? ctx.sessionId : 0
        }
        let child = insertNode(parent: parent, name: name, path: path, data: r.data, acl: acl,
                               owner: owner, zxid: ctx.zxid, time: ctx.time)
        let st = stat(child)
        if op == .create {
            return .success(OpOutcome(response: .create(path: path), multiResult: .create(path: path)))
        }
        return .success(OpOutcome(response: .create2(path: path, stat: st), multiResult: .create2(path: path, stat: st)))
    }

    // MARK: delete

    /// `getParentPathAndValidate`: a '/', no NUL, not a system node.
    func parentForDelete(_ path: String) -> Result<String, ErrorCode> {
        guard let (parent, _) = PathUtils.split(path), !path.utf8.contains(0),
              !ZNodeStore.specialPaths.contains(path) else { return .failure(.badArguments) }
        return .success(parent)
    }

    func delete(_ r: PathVersionRequest, _ ctx: OpContext) -> Result<OpOutcome, ErrorCode> {
        let parentPath: String
        switch parentForDelete(r.path) {
        case .success(let p): parentPath = p
        case .failure(let e): return .failure(e)
        }
        guard let parent = node(at: parentPath) else { return .failure(.noNode) }
        guard ACLRules.check(acl(of: parent), .delete, ctx.auth) else { return .failure(.noAuth) }
        guard let target = node(at: r.path) else { return .failure(.noNode) }
        if r.version != -1 && r.version != target.version { return .failure(.badVersion) }
        if !target.children.isEmpty { return .failure(.notEmpty) }
        removeNode(parent: parent, name: NodeName(PathUtils.split(r.path)!.name), path: r.path, zxid: ctx.zxid)
        return .success(OpOutcome(response: .empty, multiResult: .delete))
    }

    /// Proposed by the server's reaper for `reapCandidates`. ZooKeeper deletes any childless
    /// node that is not a normal ephemeral; Tusk re-checks the reason at apply time
    /// (container, or TTL expired at the txn's time) so a stale proposal is a no-op
    /// answered with BADVERSION, ZooKeeper's code for the ephemeral case.
    func deleteContainer(_ path: String, _ ctx: OpContext) -> Result<OpOutcome, ErrorCode> {
        let parentPath: String
        switch parentForDelete(path) {
        case .success(let p): parentPath = p
        case .failure(let e): return .failure(e)
        }
        guard let target = node(at: path) else { return .failure(.noNode) }
        if !target.children.isEmpty { return .failure(.notEmpty) }
        switch kind(of: target) {
        case .container: break
        case .ttl:
            let ttl = EphemeralKind.ttlValue(target.ephemeralOwner)
            guard ttl != 0, ctx.time - target.mtime > ttl else { return .failure(.badVersion) }
        case .normal, .void: return .failure(.badVersion)
        }
        guard let parent = node(at: parentPath) else { return .failure(.noNode) }
        removeNode(parent: parent, name: NodeName(PathUtils.split(path)!.name), path: path, zxid: ctx.zxid)
        return .success(OpOutcome(response: .empty, multiResult: .delete))
    }

    // MARK: setData

    func setData(_ r: SetDataRequest, _ ctx: OpContext) -> Result<OpOutcome, ErrorCode> {
        guard PathUtils.isValid(r.path) else { return .failure(.badArguments) }
        guard let target = node(at: r.path) else { return .failure(.noNode) }
        guard ACLRules.check(acl(of: target), .write, ctx.auth) else { return .failure(.noAuth) }
        if !quotaAllows(path: r.path, bytesDiff: (r.data?.count ?? 0) - target.dataSize, countDiff: 0) { return .failure(.quotaExceeded) }
        if r.version != -1 && r.version != target.version { return .failure(.badVersion) }
        setNodeData(target, path: r.path, data: r.data, version: target.version &+ 1, zxid: ctx.zxid, time: ctx.time)
        let st = stat(target)
        return .success(OpOutcome(response: .stat(st), multiResult: .setData(st)))
    }

    // MARK: setACL

    func setACL(_ r: SetACLRequest, _ ctx: OpContext) -> Result<OpOutcome, ErrorCode> {
        guard PathUtils.isValid(r.path) else { return .failure(.badArguments) }
        guard let acl = ACLRules.fixup(r.acl, ctx.auth) else { return .failure(.invalidACL) }
        guard let target = node(at: r.path) else { return .failure(.noNode) }
        guard ACLRules.check(self.acl(of: target), .admin, ctx.auth) else { return .failure(.noAuth) }
        if r.version != -1 && r.version != target.aversion { return .failure(.badVersion) }
        setNodeACL(target, acl: acl, aversion: target.aversion &+ 1)
        let st = stat(target)
        return .success(OpOutcome(response: .stat(st), multiResult: .setData(st)))
    }

    // MARK: check (multi only in ZooKeeper 3.8)

    func check(_ r: PathVersionRequest, _ ctx: OpContext) -> Result<OpOutcome, ErrorCode> {
        guard PathUtils.isValid(r.path) else { return .failure(.badArguments) }
        guard let target = node(at: r.path) else { return .failure(.noNode) }
        guard ACLRules.check(acl(of: target), .read, ctx.auth) else { return .failure(.noAuth) }
        if r.version != -1 && r.version != target.version { return .failure(.badVersion) }
        return .success(OpOutcome(response: .empty, multiResult: .check))
    }
}
