import Logging
import NIOCore
import ZNodeStore
import ZooKeeperWire

/// One client TCP connection: handshake, per-session FIFO of requests, replies, watch
/// notifications. Lives on the server's event loop with `ServerState`.
final class ClientConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ServerInbound
    typealias OutboundOut = ByteBuffer

    enum Phase {
        case awaitingConnect
        /// ConnectRequest accepted, session being created; frames that arrive meanwhile wait.
        case connecting(pending: [ByteBuffer])
        case established
        case closed
    }

    /// A request whose reply is not sent yet. Replies leave in request order.
    struct Slot {
        enum State {
            case waitingForCommit
            case ready(ReplyHeader, ZooKeeperResponse?)
            case deferredRead(RequestHeader, ZooKeeperRequest)
        }
        var seq: UInt64
        var state: State
        var receivedAt: Int64
        var closeAfterReply = false
    }

    let state: ServerState
    let remoteIP: String
    let remoteDescription: String
    private var context: ChannelHandlerContext?
    var channelContext: ChannelHandlerContext? { context }
    var phase: Phase = .awaitingConnect
    var sessionId: Int64?
    var sessionTimeout: Int32 = 0
    var auth: AuthContext
    var slots = CircularBuffer<Slot>()
    var nextSeq: UInt64 = 0
    var needsFlush = false
    var inChannelRead = false

    // Per-connection stats for `cons`.
    var packetsReceived: Int64 = 0
    var packetsSent: Int64 = 0
    var lastOp = "NA"
    var lastCxid: Int32 = 0
    var lastZxid: Int64 = -1
    var lastResponseAt: Int64 = 0
    var latency = LatencyStats()
    let establishedAt: Int64

    init(state: ServerState, remoteIP: String, remoteDescription: String) {
        self.state = state
        self.remoteIP = remoteIP
        self.remoteDescription = remoteDescription
        self.auth = AuthContext(ids: [Id(scheme: "ip", id: remoteIP)], isSuper: false)
        self.establishedAt = state.clock()
    }

    var outstanding: Int { slots.count }
    var logger: Logger { state.logger }

    // MARK: channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        if !state.connectionOpened(self) {
            phase = .closed
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        phase = .closed
        state.connectionClosed(self)
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case FrameError.invalidLength(let len, let max) = error {
            logger.warning("Closing connection from \(remoteDescription): frame length \(len) outside 0...\(max) (jute.maxbuffer)")
        } else if !(error is ChannelError) {
            logger.warning("Closing connection from \(remoteDescription): \(error)")
        }
        close(reason: "error")
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inChannelRead = true
        defer { inChannelRead = false }
        switch unwrapInboundIn(data) {
        case .fourLetterWord(let word):
            runFourLetterWord(word)
        case .frame(var frame):
            state.stats.packetsReceived += 1
            packetsReceived += 1
            switch phase {
            case .awaitingConnect:
                handleConnect(&frame)
            case .connecting(var pending):
                pending.append(frame)
                phase = .connecting(pending: pending)
            case .established:
                handleRequestFrame(&frame)
            case .closed:
                break
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded()
    }

    // MARK: output

    func write(_ buffer: ByteBuffer) {
        guard let context, case .established = phase else { return }
        context.write(wrapOutboundOut(buffer), promise: nil)
        needsFlush = true
    }

    func flushIfNeeded(force: Bool = false) {
        guard needsFlush || force, let context else { return }
        needsFlush = false
        context.flush()
    }

    /// Replies and events produced outside `channelRead` (commits applied by Raft, watch
    /// events of other sessions' writes) are flushed once per event-loop pass, so that the
    /// replies of one committed batch leave in one `writev` per connection, not one
    /// syscall per reply.
    func flushSoon() {
        guard needsFlush, !inChannelRead else { return }
        state.scheduleFlush(self)
    }

    /// Sends a watch event now (before any reply that observes the change).
    func sendNotification(_ event: WatcherEvent, zxid: Int64) {
        guard let context, case .established = phase else { return }
        var b = context.channel.allocator.buffer(capacity: 32 + event.path.utf8.count)
        b.writeNotificationFrame(zxid: zxid, event)
        state.stats.packetsSent += 1
        packetsSent += 1
        context.write(wrapOutboundOut(b), promise: nil)
        needsFlush = true
        flushSoon()
    }

    func close(reason: String) {
        guard let context else { return }
        if case .closed = phase { return }
        phase = .closed
        flushIfNeeded()
        context.close(promise: nil)
    }

    /// The session ended by a committed closeSession txn (expiry or another close).
    func sessionClosed() {
        sessionId = nil
        // A client's own closeSession is answered first; the reply path closes the socket.
        if slots.contains(where: { $0.closeAfterReply }) { return }
        close(reason: "session closed")
    }

    // MARK: four-letter words

    private func runFourLetterWord(_ word: String) {
        guard let context else { return }
        let text: String
        if state.config.isFourLetterWordEnabled(word) {
            text = state.fourLetterWord(word, asking: self)
        } else {
            text = "\(word) is not executed because it is not in the whitelist.\n"
        }
        var b = context.channel.allocator.buffer(capacity: text.utf8.count)
        b.writeString(text)
        phase = .closed
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(b)).whenComplete { _ in channel.close(promise: nil) }
    }
}
