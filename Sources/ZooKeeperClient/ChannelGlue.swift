import NIOCore
import NIOPosix
import ZooKeeperWire

/// What the channel tells the client: a frame, or that it closed.
enum InboundEvent: Sendable {
    case frame(ByteBuffer)
    case closed
}

/// Forwards decoded frames, in order, into an `AsyncStream` the client's driver task reads.
final class FrameForwarderHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    let continuation: AsyncStream<InboundEvent>.Continuation

    init(_ continuation: AsyncStream<InboundEvent>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        continuation.yield(.frame(unwrapInboundIn(data)))
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.yield(.closed)
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

enum ChannelGlue {
    /// Opens a TCP connection with the frame decoder and forwarder installed.
    static func connect(
        to host: ConnectionString.Host, group: any EventLoopGroup, timeout: TimeAmount, maxFrameLength: Int
    ) async throws -> (any Channel, AsyncStream<InboundEvent>) {
        let (stream, continuation) = AsyncStream<InboundEvent>.makeStream()
        do {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let ops = channel.pipeline.syncOperations
                        try ops.addHandler(ByteToMessageHandler(ZooKeeperFrameDecoder(maxFrameLength: maxFrameLength)))
                        try ops.addHandler(FrameForwarderHandler(continuation))
                    }
                }
                .connect(host: host.host, port: host.port).get()
            return (channel, stream)
        } catch {
            continuation.finish()
            throw error
        }
    }

    static func connectFrame(_ request: ConnectRequest) -> ByteBuffer {
        var buffer = ByteBuffer()
        Framing.writeFrame(into: &buffer) { request.write(jute: &$0) }
        return buffer
    }

    static func requestFrame(xid: Int32, _ request: ZooKeeperRequest) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeRequestFrame(xid: xid, request)
        return buffer
    }
}
