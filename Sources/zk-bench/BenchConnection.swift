import NIOCore
import NIOPosix
import ZooKeeperWire

@inline(__always) func nowNs() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

/// One ZooKeeper session on one channel, confined to its event loop. Requests are pipelined;
/// replies come back in request order (ZooKeeper's per-session FIFO), so a ring of
/// (xid, send time, tag) matches them. Writes made while a read burst is being handled are
/// coalesced into one buffer and flushed on `channelReadComplete`.
final class BenchConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let pingTag = UInt32.max

    let index: Int
    private(set) var sessionId: Int64 = 0
    private(set) var isOpen = false
    private var context: ChannelHandlerContext?
    private var connectPromise: EventLoopPromise<Void>?
    private var nextXid: Int32 = 1
    private var pending = PendingRing()
    private var out: ByteBuffer?
    private var inReadBurst = false
    private(set) var lastSendNs: UInt64 = 0

    /// A reply to a request sent with `send`, in send order (pings are not reported).
    var onReply: ((BenchConnection, UInt32, ReplyHeader, UInt64, UInt64) -> Void)?
    /// A watch notification and its arrival time.
    var onNotification: ((BenchConnection, WatcherEvent, UInt64) -> Void)?
    /// The channel went away (with the number of requests that were still outstanding).
    var onClosed: ((BenchConnection, Int) -> Void)?

    init(index: Int) { self.index = index }

    var outstanding: Int { pending.count }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    /// Sends `ConnectRequest`; the future completes on `ConnectResponse`.
    func handshake(timeoutMs: Int32) -> EventLoopFuture<Void> {
        guard let context else { preconditionFailure("handshake before the handler was added") }
        let promise = context.eventLoop.makePromise(of: Void.self)
        connectPromise = promise
        var b = context.channel.allocator.buffer(capacity: 64)
        Framing.writeFrame(into: &b) { ConnectRequest(timeOut: timeoutMs).write(jute: &$0) }
        context.writeAndFlush(wrapOutboundOut(b), promise: nil)
        return promise.futureResult
    }

    /// Queues one request; it goes out at the end of the current read burst or on `flush()`.
    func send(_ request: ZooKeeperRequest, tag: UInt32, now: UInt64) {
        guard let context, isOpen else { return }
        let xid = nextXid
        nextXid = nextXid == Int32.max ? 1 : nextXid + 1
        if out == nil { out = context.channel.allocator.buffer(capacity: 256) }
        out!.writeRequestFrame(xid: xid, request)
        pending.push(xid: xid, sentNs: now, tag: tag)
        lastSendNs = now
        if !inReadBurst { flush() }
    }

    func ping(now: UInt64) {
        guard let context, isOpen else { return }
        if out == nil { out = context.channel.allocator.buffer(capacity: 16) }
        out!.writeRequestFrame(xid: SpecialXid.ping, .ping)
        pending.push(xid: SpecialXid.ping, sentNs: now, tag: Self.pingTag)
        lastSendNs = now
        if !inReadBurst { flush() }
    }

    func flush() {
        guard let context, let b = out else { return }
        out = nil
        context.writeAndFlush(wrapOutboundOut(b), promise: nil)
    }

    func close() {
        guard let context else { return }
        isOpen = false
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        inReadBurst = true
        do {
            if !isOpen {
                let r = try ConnectResponse(jute: &frame)
                guard r.sessionId != 0, r.timeOut > 0 else { throw BenchProtocolError.sessionRefused }
                sessionId = r.sessionId
                isOpen = true
                connectPromise?.succeed()
                connectPromise = nil
                return
            }
            let header = try ReplyHeader(jute: &frame)
            let now = nowNs()
            if header.xid == SpecialXid.notification {
                let event = try WatcherEvent(jute: &frame)
                onNotification?(self, event, now)
                return
            }
            guard let entry = pending.pop() else { throw BenchProtocolError.unexpectedReply(header.xid) }
            guard entry.xid == header.xid else { throw BenchProtocolError.outOfOrder(expected: entry.xid, got: header.xid) }
            if entry.tag != Self.pingTag { onReply?(self, entry.tag, header, entry.sentNs, now) }
        } catch {
            context.fireErrorCaught(error)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inReadBurst = false
        flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        connectPromise?.fail(error)
        connectPromise = nil
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        isOpen = false
        connectPromise?.fail(BenchProtocolError.closed)
        connectPromise = nil
        let lost = pending.count
        pending = PendingRing()
        onClosed?(self, lost)
        self.context = nil
    }
}

enum BenchProtocolError: Error {
    case sessionRefused, closed, timeout
    case unexpectedReply(Int32)
    case outOfOrder(expected: Int32, got: Int32)
}

/// FIFO of outstanding requests without per-request allocation.
struct PendingRing {
    struct Entry { var xid: Int32; var sentNs: UInt64; var tag: UInt32 }
    private var items: [Entry] = Array(repeating: Entry(xid: 0, sentNs: 0, tag: 0), count: 16)
    private var head = 0
    private(set) var count = 0

    mutating func push(xid: Int32, sentNs: UInt64, tag: UInt32) {
        if count == items.count {
            var grown: [Entry] = []
            grown.reserveCapacity(items.count * 2)
            for i in 0..<count { grown.append(items[(head + i) & (items.count - 1)]) }
            grown.append(contentsOf: repeatElement(Entry(xid: 0, sentNs: 0, tag: 0), count: items.count))
            items = grown
            head = 0
        }
        items[(head + count) & (items.count - 1)] = Entry(xid: xid, sentNs: sentNs, tag: tag)
        count += 1
    }

    mutating func pop() -> Entry? {
        guard count > 0 else { return nil }
        let e = items[head]
        head = (head + 1) & (items.count - 1)
        count -= 1
        return e
    }
}

/// Opens sessions on one event loop. Everything here runs on that loop.
enum SessionOpener {
    /// Connects to `host:port`, performs the handshake, and hands back the connection on the loop.
    static func open(on loop: any EventLoop, host: String, port: Int, index: Int, timeoutMs: Int32,
                     connected: @escaping (Result<BenchConnection, any Error>) -> Void) {
        loop.preconditionInEventLoop()
        let future = ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ZooKeeperFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(BenchConnection(index: index))
                }
            }
            .connect(host: host, port: port)
        future.assumeIsolated().whenComplete { result in
            switch result {
            case .failure(let error): connected(.failure(error))
            case .success(let channel):
                do {
                    let conn = try channel.pipeline.syncOperations.handler(type: BenchConnection.self)
                    let timeout = loop.scheduleTask(in: .seconds(15)) { channel.close(promise: nil) }
                    conn.handshake(timeoutMs: timeoutMs).assumeIsolated().whenComplete { r in
                        timeout.cancel()
                        switch r {
                        case .success: connected(.success(conn))
                        case .failure(let e):
                            channel.close(promise: nil)
                            connected(.failure(e))
                        }
                    }
                } catch {
                    channel.close(promise: nil)
                    connected(.failure(error))
                }
            }
        }
    }
}
