import NIOCore
import ZNodeStore
import ZooKeeperWire

extension ClientConnection {
    func setPhase(_ p: Phase) { phase = p }

    func established(sessionId sid: Int64, timeout: Int32) {
        sessionId = sid
        sessionTimeout = timeout
        phase = .established
        state.attach(sessionId: sid, timeout: timeout, to: self)
        state.store.setSessionAuth(auth, sessionId: sid)
    }

    func noteCxid(_ xid: Int32) { lastCxid = xid }
    func noteOp(_ op: OpCode) { lastOp = Self.shortName(op) }

    func addAuth(_ ids: [Id]) {
        for id in ids where !auth.ids.contains(id) {
            auth.ids.append(id)
            if id.scheme == "super" { auth.isSuper = true }
        }
        if let sid = sessionId { state.store.setSessionAuth(auth, sessionId: sid) }
    }

    var hasPendingSlots: Bool { !slots.isEmpty }

    @discardableResult
    func pushSlot(_ s: Slot.State, receivedAt: Int64, closeAfterReply: Bool = false) -> UInt64 {
        let seq = nextSeq
        nextSeq += 1
        slots.append(Slot(seq: seq, state: s, receivedAt: receivedAt, closeAfterReply: closeAfterReply))
        return seq
    }

    /// A reply computed now that must still wait for earlier replies of this session.
    func enqueueReady(_ h: ReplyHeader, _ r: ZooKeeperResponse?, receivedAt: Int64) {
        if hasPendingSlots {
            pushSlot(.ready(h, r), receivedAt: receivedAt)
        } else {
            sendReply(h, r, receivedAt: receivedAt, closeAfter: false)
        }
    }

    /// A reply that bypasses the queue (auth, protocol errors), as ZooKeeper sends them.
    func replyNow(_ h: ReplyHeader, _ r: ZooKeeperResponse?, closeAfter: Bool) {
        sendReply(h, r, receivedAt: state.clock(), closeAfter: closeAfter)
    }

    /// A write committed: fill its slot and send every reply that is now in order.
    func complete(_ seq: UInt64, _ h: ReplyHeader, _ r: ZooKeeperResponse?) {
        guard let first = slots.first else { return }
        let index = Int(seq &- first.seq)
        guard index >= 0, index < slots.count else { return }
        let i = slots.index(slots.startIndex, offsetBy: index)
        slots[i].state = .ready(h, r)
        drainSlots()
        flushSoon()
    }

    func drainSlots() {
        while let head = slots.first {
            switch head.state {
            case .waitingForCommit:
                return
            case .ready(let h, let r):
                slots.removeFirst()
                sendReply(h, r, receivedAt: head.receivedAt, closeAfter: head.closeAfterReply)
            case .deferredRead(let header, let request):
                slots.removeFirst()
                let (h, r) = executeRead(header, request)
                sendReply(h, r, receivedAt: head.receivedAt, closeAfter: head.closeAfterReply)
            }
        }
    }

    func sendReply(_ h: ReplyHeader, _ r: ZooKeeperResponse?, receivedAt: Int64, closeAfter: Bool) {
        guard let context = channelContext else { return }
        var b = context.channel.allocator.buffer(capacity: 64)
        b.writeReplyFrame(h, r)
        let now = state.clock()
        let ms = max(0, now - receivedAt)
        state.stats.packetsSent += 1
        state.stats.latency.record(ms)
        packetsSent += 1
        latency.record(ms)
        lastResponseAt = now
        if h.zxid > 0 || h.xid >= 0 { lastZxid = h.zxid }
        write(b)
        if closeAfter {
            close(reason: "closed after reply")
        }
    }
}
