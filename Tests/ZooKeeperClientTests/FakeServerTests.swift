import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
import ZooKeeperClient
import ZooKeeperWire

/// A scripted in-process server for behaviours a real one will not show on demand:
/// it completes handshakes and answers pings, and treats other requests per `mode`.
final class FakeServer: @unchecked Sendable {
    enum Mode { case silent, outOfOrder }

    let mode: Mode
    private let lock = NSLock()
    private var _connections = 0
    private var _resumed = 0
    private var _requests = 0
    private var channel: (any Channel)?

    var connections: Int { lock.withLock { _connections } }
    /// Handshakes presenting our session id: reconnects. (Plain connection counts can include a
    /// stranger's probe when the OS hands this port to a test server that just picked it.)
    var resumed: Int { lock.withLock { _resumed } }
    var requests: Int { lock.withLock { _requests } }
    var port: Int { channel?.localAddress?.port ?? 0 }

    init(mode: Mode) { self.mode = mode }

    func start() async throws {
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ZooKeeperFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(Handler(server: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func stop() async { try? await channel?.close() }

    fileprivate func countedResume() { lock.withLock { _resumed += 1 } }

    fileprivate func counted(connection: Bool) {
        lock.withLock { if connection { _connections += 1 } else { _requests += 1 } }
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let server: FakeServer
        var handshaken = false
        init(server: FakeServer) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var frame = unwrapInboundIn(data)
            var out = ByteBuffer()
            if !handshaken {
                handshaken = true
                server.counted(connection: true)
                guard let request = try? ConnectRequest(jute: &frame) else { context.close(promise: nil); return }
                if request.sessionId == 0x42 { server.countedResume() }
                let response = ConnectResponse(timeOut: request.timeOut, sessionId: 0x42, passwd: Array(repeating: 1, count: 16))
                Framing.writeFrame(into: &out) { response.write(jute: &$0) }
            } else {
                guard let header = try? RequestHeader(jute: &frame) else { context.close(promise: nil); return }
                if header.xid == SpecialXid.ping {
                    out.writeReplyFrame(ReplyHeader(xid: header.xid, zxid: 0), nil)
                } else {
                    server.counted(connection: false)
                    switch server.mode {
                    case .silent: return
                    case .outOfOrder: out.writeReplyFrame(ReplyHeader(xid: header.xid + 100, zxid: 1), .empty)
                    }
                }
            }
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        }
    }
}

@Suite("Client against a scripted server")
struct FakeServerTests {
    func client(_ server: FakeServer, requestTimeout: Duration = .seconds(30)) async throws -> ZooKeeperClient {
        try await TestSupport.connect(connectString: "127.0.0.1:\(server.port)", sessionTimeout: .seconds(30), requestTimeout: requestTimeout)
    }

    @Test("a request with no reply fails with .timeout; the connection stays up (pings answered)")
    func requestTimeout() async throws {
        let server = FakeServer(mode: .silent)
        try await server.start()
        let zk = try await client(server, requestTimeout: .milliseconds(300))
        let started = ContinuousClock.now
        do {
            _ = try await zk.getData("/a")
            Issue.record("expected a timeout")
        } catch let error as ZooKeeperError {
            #expect(error.kind == .timeout)
            #expect(error.code == .requestTimeout)
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(await zk.isConnected)
        #expect(server.resumed == 0)
        await zk.close()
        await server.stop()
    }

    @Test("cancelling the waiting task fails the request with CancellationError")
    func cancellation() async throws {
        let server = FakeServer(mode: .silent)
        try await server.start()
        let zk = try await client(server)
        let task = Task { try await zk.getData("/a") }
        while server.requests == 0 { await Task.yield() }
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        await zk.close()
        await server.stop()
    }

    @Test("a reply with the wrong xid drops the connection: connection loss, then a reconnect")
    func xidOutOfOrder() async throws {
        let server = FakeServer(mode: .outOfOrder)
        try await server.start()
        let zk = try await client(server)
        let states = await zk.connectionStates()
        await expectCode(.connectionLoss) { _ = try await zk.getData("/a") }
        let seen = try await TestSupport.within(.seconds(10)) { () -> [ConnectionState] in
            var out: [ConnectionState] = []
            for await s in states {
                out.append(s)
                if s == .reconnected { break }
            }
            return out
        }
        #expect(seen == [.suspended, .reconnected])
        #expect(server.resumed == 1)
        await zk.close()
        await server.stop()
    }
}
