import Logging
import NIOCore
import NIOPosix

/// Server-to-server links on the peer port (`server.N=host:peerPort:electionPort`). Each
/// server dials every other one and sends on its own outbound connection; inbound
/// connections only receive. Raft tolerates loss, so a message for a peer that is down or
/// not keeping up (more than `highWaterMark` bytes waiting) is dropped, never queued
/// without bound; `send` says so, for senders that must not lose a frame silently
/// (a forwarded proposal is answered CONNECTIONLOSS at once, session touches are kept
/// for the next batch). Everything runs on the server's event loop.
final class PeerTransport: @unchecked Sendable {
    struct Peer {
        var id: UInt64
        var host: String
        var port: Int
    }

    let selfId: UInt64
    let eventLoop: any EventLoop
    let logger: Logger
    private var peers: [UInt64: Peer]
    private var outbound: [UInt64: any Channel] = [:]
    private var dialing: Set<UInt64> = []
    private var nextDialAt: [UInt64: NIODeadline] = [:]
    private var listener: (any Channel)?
    /// Called on the event loop for every frame from a peer.
    var onFrame: (UInt64, PeerFrame) -> Void = { _, _ in }
    static let maxFrame = 64 * 1024 * 1024
    /// Bytes waiting on an outbound connection (written, not yet taken by the kernel)
    /// above which frames are dropped. NIO's default, 64 KiB, is less than one burst of
    /// forwarded writes: a follower sends what its clients proposed during one WAL fsync
    /// together, and 8 clients × 32 creates of 100 B outran it right after a heavy load
    /// (the proposals were lost and answered CONNECTIONLOSS 10 s later).
    static let highWaterMark = 16 * 1024 * 1024
    static let lowWaterMark = 4 * 1024 * 1024

    init(selfId: UInt64, peers: [Peer], eventLoop: any EventLoop, logger: Logger) {
        self.selfId = selfId
        self.peers = Dictionary(uniqueKeysWithValues: peers.filter { $0.id != selfId }.map { ($0.id, $0) })
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// Adds a peer, or moves one to a new address (reconfig: the committed
    /// `/zookeeper/config` names the servers every member must be able to reach).
    func setPeer(_ peer: Peer) {
        eventLoop.assertInEventLoop()
        guard peer.id != selfId, peers[peer.id].map({ $0.host != peer.host || $0.port != peer.port }) ?? true else { return }
        let known = peers[peer.id] != nil
        peers[peer.id] = peer
        if known, let channel = outbound.removeValue(forKey: peer.id) { channel.close(promise: nil) }
        logger.info("peer \(peer.id) at \(peer.host):\(peer.port)\(known ? " (address changed)" : " added")")
    }

    func listen(host: String, port: Int) throws -> SocketAddress {
        let transport = self
        let channel = try ServerBootstrap(group: eventLoop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(PeerFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(PeerInboundHandler(transport: transport))
                }
            }
            .bind(host: host, port: port).wait()
        listener = channel
        return channel.localAddress!
    }

    func close() {
        listener?.close(promise: nil)
        for c in outbound.values { c.close(promise: nil) }
        outbound.removeAll()
    }

    /// Queues `frame` for peer `id`; false if it was dropped (no connection yet: one is
    /// dialled; or over `highWaterMark`).
    @discardableResult
    func send(to id: UInt64, _ frame: PeerFrame) -> Bool {
        eventLoop.assertInEventLoop()
        guard let channel = outbound[id] else {
            dial(id)
            return false
        }
        guard channel.isWritable else { return false }
        var b = channel.allocator.buffer(capacity: 128)
        PeerCodec.encode(frame, into: &b)
        channel.write(b, promise: nil)
        scheduleFlush(channel)
        return true
    }

    private var toFlush: [ObjectIdentifier: any Channel] = [:]

    private func scheduleFlush(_ channel: any Channel) {
        if toFlush.isEmpty {
            eventLoop.execute { [self] in
                let channels = toFlush.values
                toFlush.removeAll()
                for c in channels { c.flush() }
            }
        }
        toFlush[ObjectIdentifier(channel)] = channel
    }

    private func dial(_ id: UInt64) {
        guard let peer = peers[id], !dialing.contains(id) else { return }
        let now = NIODeadline.now()
        if let at = nextDialAt[id], at > now { return }
        dialing.insert(id)
        nextDialAt[id] = now + .milliseconds(200)
        let selfId = self.selfId
        ClientBootstrap(group: eventLoop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.writeBufferWaterMark, value: .init(low: Self.lowWaterMark, high: Self.highWaterMark))
            .connectTimeout(.seconds(1))
            .connect(host: peer.host, port: peer.port)
            .whenComplete { [self] result in
                dialing.remove(id)
                switch result {
                case .success(let channel):
                    outbound[id] = channel
                    var b = channel.allocator.buffer(capacity: 16)
                    PeerCodec.encode(.hello(from: selfId), into: &b)
                    channel.writeAndFlush(b, promise: nil)
                    channel.closeFuture.whenComplete { [self] _ in
                        if outbound[id] === channel { outbound[id] = nil }
                    }
                    logger.debug("connected to peer \(id) at \(peer.host):\(peer.port)")
                case .failure(let error):
                    logger.debug("cannot reach peer \(id) at \(peer.host):\(peer.port): \(error)")
                }
            }
    }

    fileprivate func received(_ frame: PeerFrame, from id: UInt64) {
        onFrame(id, frame)
    }
}

struct PeerFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = PeerFrame

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard Int(length) <= PeerTransport.maxFrame else { throw PeerCodecError.truncated }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        var payload = buffer.readSlice(length: Int(length))!
        context.fireChannelRead(Self.wrapInboundOut(try PeerCodec.decode(&payload)))
        return .continue
    }
}

final class PeerInboundHandler: ChannelInboundHandler {
    typealias InboundIn = PeerFrame
    unowned let transport: PeerTransport
    private var peerId: UInt64?

    init(transport: PeerTransport) { self.transport = transport }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if case .hello(let from) = frame {
            peerId = from
            return
        }
        guard let from = peerId else {
            transport.logger.warning("peer connection sent a frame before hello; closing")
            context.close(promise: nil)
            return
        }
        transport.received(frame, from: from)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        transport.logger.warning("closing peer connection: \(error)")
        context.close(promise: nil)
    }
}
