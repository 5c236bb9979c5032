import NIOCore
import ZNodeStore
import ZooKeeperWire

extension ClientConnection {
    func handleRequestFrame(_ frame: inout ByteBuffer) {
        guard let sid = sessionId else { return }
        let header: RequestHeader
        do {
            header = try RequestHeader(jute: &frame)
        } catch {
            logger.warning("Closing connection from \(remoteDescription): truncated request header")
            close(reason: "bad header")
            return
        }
        state.touch(sessionId: sid)
        if header.xid > 0 { noteCxid(header.xid) }

        if header.type == OpCode.auth.rawValue {
            handleAuth(header, &frame)
            return
        }
        if header.type == OpCode.sasl.rawValue {
            logger.warning("Client \(remoteDescription) failed to SASL authenticate: SASL is not configured; closing")
            replyNow(ReplyHeader(xid: header.xid, zxid: 0, error: .authFailed), nil, closeAfter: true)
            return
        }
        guard let op = OpCode(rawValue: header.type), Self.clientOps.contains(op) else {
            logger.warning("Received packet at server of unknown type \(header.type) from \(remoteDescription)")
            replyNow(ReplyHeader(xid: header.xid, zxid: -1, error: .unimplemented), nil, closeAfter: true)
            return
        }
        let request: ZooKeeperRequest
        do {
            request = try ZooKeeperRequest.decode(op: op, from: &frame)
        } catch {
            // ZooKeeper answers a body it cannot deserialize with MarshallingError and keeps
            // the connection.
            logger.warning("Cannot decode \(op.name) request from \(remoteDescription): \(error)")
            enqueueReady(ReplyHeader(xid: header.xid, zxid: state.lastAppliedZxid, error: .marshallingError), nil, receivedAt: state.clock())
            return
        }
        noteOp(op)
        if !Self.multiOpsAreConsistent(request) {
            // ZooKeeper rejects a read inside multi (or a write inside multiRead) while
            // deserializing: MarshallingError, nothing applied, connection kept.
            enqueueReady(ReplyHeader(xid: header.xid, zxid: state.lastAppliedZxid, error: .marshallingError), nil, receivedAt: state.clock())
            return
        }
        if !request.isWrite, !hasPendingSlots, state.sessionMovedAwayFromLeader(sid) {
            // ZooKeeper's leader checks the owner of reads and pings too (its
            // PrepRequestProcessor sees them; a follower serves them unchecked).
            logger.info("session 0x\(String(sid, radix: 16)) moved to another server; closing this connection")
            close(reason: "session moved")
            return
        }
        submit(header, request, sessionId: sid)
    }

    static func multiOpsAreConsistent(_ request: ZooKeeperRequest) -> Bool {
        switch request {
        case .multi(let ops):
            return ops.allSatisfy { if case .getData = $0 { false } else if case .getChildren = $0 { false } else { true } }
        case .multiRead(let ops):
            return ops.allSatisfy { if case .getData = $0 { true } else if case .getChildren = $0 { true } else { false } }
        default:
            return true
        }
    }

    /// Opcodes a client may send (ZooKeeper's `Request.isValid`, minus auth/sasl handled above).
    static let clientOps: Set<OpCode> = [
        .create, .create2, .createContainer, .createTTL, .delete, .deleteContainer, .exists, .getData, .setData,
        .getACL, .setACL, .getChildren, .getChildren2, .sync, .ping, .check, .multi, .multiRead, .reconfig,
        .checkWatches, .removeWatches, .setWatches, .setWatches2, .getEphemerals, .getAllChildrenNumber,
        .addWatch, .whoAmI, .closeSession,
    ]

    private func submit(_ header: RequestHeader, _ request: ZooKeeperRequest, sessionId sid: Int64) {
        let receivedAt = state.clock()
        switch request {
        case .closeSession:
            let seq = pushSlot(.waitingForCommit, receivedAt: receivedAt, closeAfterReply: true)
            state.log.append(sessionId: sid, cxid: header.xid, kind: .closeSession) { [self] txn, _ in
                complete(seq, ReplyHeader(xid: header.xid, zxid: txn.zxid, err: 0), nil)
            }
        case .sync(let r):
            // ReadIndex: answered once this server has applied everything committed when
            // the sync arrived, so a read after it is linearizable.
            let seq = pushSlot(.waitingForCommit, receivedAt: receivedAt)
            if let raft = state.raft {
                raft.readBarrier { [self] in
                    complete(seq, ReplyHeader(xid: header.xid, zxid: state.lastAppliedZxid, err: 0), .sync(path: r.path))
                }
            } else {
                complete(seq, ReplyHeader(xid: header.xid, zxid: state.lastAppliedZxid, err: 0), .sync(path: r.path))
            }
        case .reconfig(let r):
            handleReconfig(r, xid: header.xid, receivedAt: receivedAt)
        case _ where request.isWrite:
            let seq = pushSlot(.waitingForCommit, receivedAt: receivedAt)
            state.log.append(sessionId: sid, cxid: header.xid, kind: .request(request, auth: auth)) { [self] txn, result in
                if result.error == .sessionMoved {
                    // FinalRequestProcessor: SESSIONMOVED is a connection-level error; the
                    // connection is closed without a reply (ZOOKEEPER-710).
                    logger.info("session 0x\(String(sid, radix: 16)) moved to another server; closing this connection")
                    close(reason: "session moved")
                    return
                }
                complete(seq, ReplyHeader(xid: header.xid, zxid: txn.zxid, err: result.error.rawValue), result.response)
            }
        default:
            if hasPendingSlots {
                pushSlot(.deferredRead(header, request), receivedAt: receivedAt)
            } else {
                let (h, r) = executeRead(header, request)
                sendReply(h, r, receivedAt: receivedAt, closeAfter: false)
            }
        }
    }

    /// Runs a read (or a local, non-replicated request) against the current state.
    func executeRead(_ header: RequestHeader, _ request: ZooKeeperRequest) -> (ReplyHeader, ZooKeeperResponse?) {
        let store = state.store
        let sid = sessionId ?? 0
        func reply(_ error: ErrorCode, _ response: ZooKeeperResponse?) -> (ReplyHeader, ZooKeeperResponse?) {
            (ReplyHeader(xid: header.xid, zxid: store.lastZxid, error: error), error == .ok ? response : nil)
        }
        switch request {
        case .ping:
            return reply(.ok, nil)
        case .setWatches(let r), .setWatches2(let r):
            store.setWatches(r, sessionId: sid)
            state.dispatchNotifications()
            return reply(.ok, nil)
        case .addWatch(let r):
            guard let mode = AddWatchMode(rawValue: r.type) else { return reply(.badArguments, nil) }
            let err = store.addWatch(path: r.path, mode: mode, sessionId: sid)
            // ZooKeeper answers addWatch with an ErrorResponse body holding 0.
            return reply(err, .errorBody(0))
        case .removeWatches(let r):
            guard let type = WatcherType(rawValue: r.type) else { return reply(.badArguments, nil) }
            let err = store.removeWatches(path: r.path, type: type, sessionId: sid)
            state.dispatchNotifications()
            return reply(err, nil)
        case .checkWatches(let r):
            guard let type = WatcherType(rawValue: r.type) else { return reply(.badArguments, nil) }
            return reply(store.checkWatches(path: r.path, type: type, sessionId: sid), nil)
        case .whoAmI:
            return reply(.ok, .whoAmI(whoAmI()))
        default:
            let result = store.read(request, sessionId: sid, auth: auth)
            return reply(result.error, result.response)
        }
    }

    private func whoAmI() -> [ClientInfo] {
        auth.ids.map { id in
            switch id.scheme {
            case "digest": ClientInfo(authScheme: "digest", user: String(id.id.prefix { $0 != ":" }))
            default: ClientInfo(authScheme: id.scheme, user: id.id)
            }
        }
    }

    /// `addauth`: digest and ip schemes, as ZooKeeper's built-in providers.
    private func handleAuth(_ header: RequestHeader, _ frame: inout ByteBuffer) {
        guard let packet = try? AuthPacket(jute: &frame) else {
            logger.warning("Closing connection from \(remoteDescription): malformed auth packet")
            close(reason: "bad auth packet")
            return
        }
        var ids: [Id] = []
        switch packet.scheme {
        case "digest":
            if let text = String(bytes: packet.auth, encoding: .utf8), text.contains(":") {
                let digest = DigestAuth.digest(text)
                if let superDigest = state.config.superDigest, digest == superDigest {
                    ids.append(Id(scheme: "super", id: ""))
                }
                ids.append(Id(scheme: "digest", id: digest))
            }
        case "ip":
            ids.append(Id(scheme: "ip", id: remoteIP))
        default:
            break
        }
        guard !ids.isEmpty else {
            logger.warning("Authentication failed for scheme: \(packet.scheme) from \(remoteDescription)")
            replyNow(ReplyHeader(xid: header.xid, zxid: 0, error: .authFailed), nil, closeAfter: true)
            return
        }
        addAuth(ids)
        replyNow(ReplyHeader(xid: header.xid, zxid: 0, err: 0), nil, closeAfter: false)
    }

    private static let shortNames: [OpCode: String] = [
        .create: "CREA", .create2: "CREA", .createContainer: "CREA", .createTTL: "CREA", .delete: "DELE",
        .deleteContainer: "DELE", .exists: "EXIS", .getData: "GETD", .setData: "SETD", .getACL: "GACL",
        .setACL: "SACL", .getChildren: "GETC", .getChildren2: "GETC", .sync: "SYNC", .ping: "PING",
        .check: "CHEC", .multi: "MULT", .multiRead: "MLTR", .reconfig: "RCFG", .checkWatches: "CHKW",
        .removeWatches: "REMW", .setWatches: "SETW", .setWatches2: "STW2", .getEphemerals: "GETE",
        .getAllChildrenNumber: "GTAR", .addWatch: "ADDW", .whoAmI: "HOMI", .closeSession: "CLOS",
    ]

    static func shortName(_ op: OpCode) -> String { shortNames[op] ?? "NA" }
}

extension ClientConnection {
    /// ZooKeeper 3.8's `PrepRequestProcessor` checks for `reconfig`, in its order: disabled,
    /// standalone (UNIMPLEMENTED), a change in progress, config version, request syntax / at
    /// least 2 voters, then WRITE on `/zookeeper/config` (only a super user by default: its
    /// ACL is world:anyone r).
    ///
    /// A change that only removes servers is executed: the new `/zookeeper/config` is
    /// committed as a setData (replicated, in snapshots and the log, firing its watches), the
    /// leader then moves Raft's configuration to it one server at a time
    /// (`RaftTxnLog.reconcileMembership`), and the client is answered once this server's
    /// configuration matches it (a joining server first catches up as a learner, then
    /// votes). A change to a server that stays (address, role) is answered UNIMPLEMENTED.
    func handleReconfig(_ r: ReconfigRequest, xid: Int32, receivedAt: Int64) {
        let plan: ReconfigPlan
        switch checkReconfig(r) {
        case .failure(let error):
            enqueueReady(ReplyHeader(xid: xid, zxid: state.lastAppliedZxid, error: error), nil, receivedAt: receivedAt)
            return
        case .success(let p):
            plan = p
        }
        guard let raft = state.raft, !plan.changesExisting else {
            enqueueReady(ReplyHeader(xid: xid, zxid: state.lastAppliedZxid, error: .unimplemented), nil, receivedAt: receivedAt)
            return
        }
        let text = Array(ReconfigPlan.configText(plan.members, version: plan.version + 1).utf8)
        let wanted = Set(plan.members.keys.map { UInt64($0) })
        let seq = pushSlot(.waitingForCommit, receivedAt: receivedAt)
        let setData = ZooKeeperRequest.setData(SetDataRequest(path: "/zookeeper/config", data: text, version: -1))
        state.log.append(sessionId: sessionId ?? 0, cxid: xid, kind: .request(setData, auth: AuthContext(isSuper: true))) { [self] txn, result in
            guard result.error == .ok, case .stat(let stat)? = result.response else {
                complete(seq, ReplyHeader(xid: xid, zxid: txn.zxid, error: result.error), nil)
                return
            }
            raft.waitForMembership(wanted) { [self] matched in
                if matched {
                    complete(seq, ReplyHeader(xid: xid, zxid: txn.zxid, err: 0), .getData(data: text, stat: stat))
                } else {
                    // Committed, but Raft's configuration did not follow in time: the outcome
                    // is unknown to the client, as after a lost connection.
                    complete(seq, ReplyHeader(xid: xid, zxid: txn.zxid, error: .connectionLoss), nil)
                }
            }
        }
    }

    func checkReconfig(_ r: ReconfigRequest) -> Result<ReconfigPlan, ErrorCode> {
        guard state.config.reconfigEnabled else { return .failure(.reconfigDisabled) }
        guard let raft = state.raft, !state.config.servers.isEmpty else { return .failure(.unimplemented) }
        var current = ""
        if case .getData(let data, _)? = state.store.read(.getData(PathWatchRequest(path: "/zookeeper/config", watch: false)),
                                                          sessionId: 0, auth: AuthContext(isSuper: true)).response {
            current = String(decoding: data ?? [], as: UTF8.self)
        }
        let committed = Set(ReconfigPlan.parseConfigNode(current).members.keys.map { UInt64($0) })
        guard raft.membershipMatches(committed) else { return .failure(.reconfigInProgress) }
        let plan: ReconfigPlan
        do {
            plan = try ReconfigPlan.make(current: current, request: r)
        } catch {
            return .failure(error.code)
        }
        guard state.store.hasPermission(.write, on: "/zookeeper/config", auth: auth) else { return .failure(.noAuth) }
        return .success(plan)
    }
}
