import NIOCore
import ZooKeeperWire

extension ZooKeeperClient {
    /// The connection loop: connect to the next host, handshake, read frames until the
    /// connection drops, back off, repeat — until the session ends or the client closes.
    func drive() async {
        var hostIndex = 0
        while !machine.state.isTerminal && machine.state != .closing && !Task.isCancelled {
            if machine.reconnectAttempt > 0 {
                let delay = machine.reconnectDelay(jitter: Double.random(in: 0..<1))
                try? await Task.sleep(for: .nanoseconds(delay.nanoseconds))
                if Task.isCancelled || machine.state.isTerminal || machine.state == .closing { break }
            }
            let host = hosts[hostIndex % hosts.count]
            hostIndex += 1
            await runConnection(to: host)
            channel = nil
            currentHost = nil
            let lost = machine.connectionLost()
            logger.debug("connection lost", metadata: ["failing": "\(lost.fail.count)", "state": "\(machine.state)"])
            for t in lost.fail { fail(t, .connectionLoss) }
            if lost.suspended { emit(.suspended) }
        }
    }

    private func runConnection(to host: ConnectionString.Host) async {
        let perHost = max(configuration.connectTimeout.milliseconds / Int64(max(hosts.count, 1)), 100)
        let opened: (any Channel, AsyncStream<InboundEvent>)
        do {
            opened = try await ChannelGlue.connect(
                to: host, group: configuration.eventLoopGroup, timeout: .milliseconds(perHost),
                maxFrameLength: configuration.maxFrameLength)
        } catch {
            logger.debug("connect failed", metadata: ["host": "\(host)", "error": "\(error)"])
            return
        }
        let (channel, events) = opened
        if machine.state.isTerminal || machine.state == .closing {
            try? await channel.close()
            return
        }
        self.channel = channel
        self.currentHost = host
        let connectRequest = machine.connectionEstablished(now: .now())
        channel.writeAndFlush(ChannelGlue.connectFrame(connectRequest), promise: nil)
        var handshaken = false
        for await event in events {
            guard case .frame(var frame) = event else { break }
            if !handshaken {
                handshaken = true
                guard let response = try? ConnectResponse(jute: &frame) else {
                    channel.close(promise: nil)
                    continue
                }
                handshakeReceived(response, on: channel)
                continue
            }
            if !handleFrame(&frame) { channel.close(promise: nil) }
        }
    }

    private func handshakeReceived(_ response: ConnectResponse, on channel: any Channel) {
        logger.debug("handshake", metadata: ["sessionId": "\(hex(response.sessionId))", "timeout": "\(response.timeOut)"])
        switch machine.handshakeReceived(response, now: .now()) {
        case .expired(let failed):
            logger.info("session expired", metadata: ["sessionId": "\(hex(machine.session?.id ?? 0))"])
            for t in failed { fail(t, .sessionExpired) }
            channel.close(promise: nil)
            finishEverything(state: .expired)
        case .established(let reconnected, let authPackets, let requests):
            // Re-register watches first, then credentials, then what waited (ClientCnxn.primeConnection).
            if reconnected {
                for request in registry.setWatchesRequests(relativeZxid: machine.lastZxid) {
                    channel.write(ChannelGlue.requestFrame(xid: SpecialXid.setWatches, .setWatches2(request)), promise: nil)
                }
            }
            for packet in authPackets {
                channel.write(ChannelGlue.requestFrame(xid: SpecialXid.auth, .auth(packet)), promise: nil)
            }
            for (xid, request) in requests {
                channel.write(ChannelGlue.requestFrame(xid: xid, request), promise: nil)
            }
            channel.flush()
            emit(reconnected ? .reconnected : .connected)
            let waiters = firstConnectWaiters
            firstConnectWaiters = []
            for w in waiters { w.resume() }
        }
    }

    /// Handles one reply or notification; false means the connection must be dropped.
    private func handleFrame(_ frame: inout ByteBuffer) -> Bool {
        guard let header = try? ReplyHeader(jute: &frame) else { return false }
        switch machine.replyReceived(header, now: .now()) {
        case .notification:
            guard let event = try? WatcherEvent(jute: &frame) else { return false }
            deliver(event)
        case .ping, .dropped:
            break
        case .setWatches(let err):
            if err != 0 { logger.warning("setWatches failed", metadata: ["err": "\(err)"]) }
        case .auth(let token, let err, let failed):
            if err == ErrorCode.authFailed.rawValue {
                for t in failed { fail(t, ZooKeeperError(.authFailed)) }
                finishEverything(state: .authFailed)
                return false
            }
            if let token {
                if err == 0 { succeed(token, .empty) } else { fail(token, ZooKeeperError(code: ErrorCode(rawValue: err) ?? .systemError)) }
            }
        case .complete(let pending):
            complete(pending, header: header, body: &frame)
        case .protocolViolation(let message):
            logger.warning("protocol violation", metadata: ["message": "\(message)"])
            return false
        }
        return true
    }

    private func complete(_ pending: ConnectionStateMachine.Pending, header: ReplyHeader, body: inout ByteBuffer) {
        if pending.op == .closeSession {
            succeed(pending.token, .empty)
            return
        }
        if header.err != 0 {
            let code = ErrorCode(rawValue: header.err) ?? .systemError
            if code == .noNode, var watch = pendingWatches[pending.token], watch.registerOnNoNode {
                watch.kind = .exist
                pendingWatches[pending.token] = watch
                succeed(pending.token, .empty)
                return
            }
            fail(pending.token, ZooKeeperError(code: code))
            return
        }
        do {
            succeed(pending.token, try ZooKeeperResponse.decode(op: pending.op, from: &body))
        } catch {
            fail(pending.token, ZooKeeperError(.protocolError("\(error)")))
        }
    }

    /// Routes a notification to the watchers it fires.
    private func deliver(_ raw: WatcherEvent) {
        guard let type = raw.eventType else { return }
        let state = KeeperState(rawValue: raw.state) ?? .syncConnected
        let event = WatchEvent(type: type, state: state, path: configuration.connectionString.clientPath(raw.path))
        for id in registry.fire(type: type, path: raw.path) {
            guard let c = watchers[id] else { continue }
            c.yield(event)
            if !persistentWatchers.contains(id) {
                c.finish()
                watchers[id] = nil
            }
        }
    }

    /// Pings, read timeouts and request timeouts, checked a few times per ping interval.
    func tickLoop() async {
        while !Task.isCancelled && !machine.state.isTerminal {
            let timeout = Int64(machine.session?.timeout ?? machine.requestedTimeout)
            let interval = max(20, min(timeout / 9, 250))
            try? await Task.sleep(for: .milliseconds(interval))
            tick()
        }
    }

    private func tick() {
        let action = machine.tick(now: .now())
        for t in action.timedOut { fail(t, .timeout) }
        if action.closeConnection {
            logger.debug("read timeout; dropping connection")
            channel?.close(promise: nil)
        } else if action.sendPing {
            channel?.writeAndFlush(ChannelGlue.requestFrame(xid: SpecialXid.ping, .ping), promise: nil)
        }
    }
}

func hex(_ v: Int64) -> String { "0x" + String(UInt64(bitPattern: v), radix: 16) }
