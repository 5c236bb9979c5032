import NIOCore
import ZNodeStore
import ZooKeeperWire

extension ClientConnection {
    /// The first frame: a ConnectRequest that creates a session or resumes one.
    func handleConnect(_ frame: inout ByteBuffer) {
        let request: ConnectRequest
        do {
            request = try ConnectRequest(jute: &frame)
        } catch {
            logger.warning("Closing connection from \(remoteDescription): malformed ConnectRequest (\(error))")
            close(reason: "bad handshake")
            return
        }
        guard state.isServing else {
            logger.info("Closing connection from \(remoteDescription): no leader yet (ZooKeeperServer not running)")
            close(reason: "not serving")
            return
        }
        let ourZxid = state.lastAppliedZxid
        if request.lastZxidSeen > ourZxid {
            logger.warning("Refusing session request for client \(remoteDescription) as it has seen zxid 0x\(String(request.lastZxidSeen, radix: 16)) our last zxid is 0x\(String(ourZxid, radix: 16)) client must try another server")
            close(reason: "client ahead of server")
            return
        }
        let timeout = SessionIds.negotiateTimeout(requested: request.timeOut, min: state.config.minSessionTimeout, max: state.config.maxSessionTimeout)
        if request.sessionId == 0 {
            let sid = state.allocateSessionId()
            setPhase(.connecting(pending: []))
            state.log.append(sessionId: sid, cxid: 0, kind: .createSession(timeout: timeout)) { [self] _, result in
                guard result.error == .ok else {
                    logger.info("cannot create a session for \(remoteDescription) (\(result.error.name)); closing so the client tries again")
                    close(reason: "session not created")
                    return
                }
                finishConnect(sessionId: sid, timeout: timeout, valid: true)
            }
        } else {
            let sid = request.sessionId
            let valid = state.store.isSessionLive(sid) && request.passwd == state.password(for: sid)
            if !valid {
                logger.info("Invalid session 0x\(String(sid, radix: 16)) for client \(remoteDescription), probably expired")
            }
            setPhase(.connecting(pending: []))
            let owner = state.store.sessionOwner(sid)
            guard valid, state.origin != 0, owner != state.origin else {
                finishConnect(sessionId: sid, timeout: timeout, valid: valid)
                return
            }
            // The session was attached to another server: make this one its owner first
            // (ZooKeeper's revalidateSession → setOwner), so that the old server's writes
            // for it fail with SESSIONMOVED from the same log position on every replica.
            state.log.append(sessionId: sid, cxid: 0, kind: .attachSession) { [self] _, result in
                switch result.error {
                case .ok:
                    finishConnect(sessionId: sid, timeout: timeout, valid: true)
                case .sessionExpired:
                    logger.info("Invalid session 0x\(String(sid, radix: 16)) for client \(remoteDescription), probably expired")
                    finishConnect(sessionId: sid, timeout: timeout, valid: false)
                default:
                    logger.info("cannot attach session 0x\(String(sid, radix: 16)) for \(remoteDescription) (\(result.error.name)); closing so the client tries again")
                    close(reason: "session not attached")
                }
            }
        }
    }

    private func finishConnect(sessionId sid: Int64, timeout: Int32, valid: Bool) {
        guard let context = channelContext, case .connecting(let pending) = phase else { return }
        let response = valid
            ? ConnectResponse(timeOut: timeout, sessionId: sid, passwd: state.password(for: sid))
            : ConnectResponse(timeOut: 0, sessionId: 0, passwd: [UInt8](repeating: 0, count: 16))
        var b = context.channel.allocator.buffer(capacity: 48)
        Framing.writeFrame(into: &b) { response.write(jute: &$0) }
        state.stats.packetsSent += 1
        context.write(NIOAny(b), promise: nil)
        guard valid else {
            setPhase(.closed)
            context.flush()
            context.close(promise: nil)
            return
        }
        established(sessionId: sid, timeout: timeout)
        logger.debug("Established session 0x\(String(sid, radix: 16)) with negotiated timeout \(timeout) for client \(remoteDescription)")
        for var frame in pending {
            handleRequestFrame(&frame)
        }
        flushIfNeeded(force: true)
    }
}
