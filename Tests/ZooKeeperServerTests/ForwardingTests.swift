import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOPosix
import RaftCore
import Testing
import ZooKeeperWire
@testable import ZooKeeperServer

/// Writes made on a follower: forwarded to the leader, and never lost silently.
@Suite("Forwarded writes")
struct ForwardingTests {
    typealias Applier = RaftTxnLogTests.RecordingApplier

    /// Two Raft txn logs on one embedded loop; messages travel when `pump` runs.
    final class Pair {
        let loop = EmbeddedEventLoop()
        let appliers = [Applier(), Applier()]
        var logs: [RaftTxnLog] = []
        var inFlight: [Message] = []
        /// Every message sent, in order.
        var sent: [Message] = []

        init() throws {
            for id in [UInt64(1), 2] {
                let log = try RaftTxnLog(nodeId: id, peers: [1, 2], store: InMemoryRaftLog(), applier: appliers[Int(id) - 1],
                                         applied: 0, eventLoop: loop, clock: { 1_000 }, logger: Logger(label: "test"), seed: id)
                log.send = { [unowned self] in
                    sent += $0
                    inFlight += $0
                    return []
                }
                logs.append(log)
            }
            for log in logs { log.start(tick: .milliseconds(50)) }
            for _ in 0..<200 where !logs.contains(where: \.isLeader) {
                loop.advanceTime(by: .milliseconds(50))
                pump()
            }
            pump()
        }

        func pump() {
            for _ in 0..<1_000 {
                loop.run()
                guard !inFlight.isEmpty else { return }
                let batch = inFlight
                inFlight = []
                for m in batch { logs[Int(m.to) - 1].receive(m) }
            }
        }

        var leader: RaftTxnLog { logs.first(where: \.isLeader)! }
        var follower: RaftTxnLog { logs.first(where: { !$0.isLeader })! }
    }

    @Test("a follower sends the writes of one loop turn to the leader as one message, and answers them once applied")
    func forwardedInOneMessage() throws {
        let pair = try Pair()
        let follower = pair.follower
        #expect(follower.status.leader == pair.leader.status.id)
        pair.sent = []
        var answers: [Int32: ErrorCode] = [:]
        for cxid in Int32(1)...3 {
            follower.append(sessionId: 9, cxid: cxid, kind: .closeSession) { txn, result in answers[txn.cxid] = result.error }
        }
        pair.loop.run()
        let forwards = pair.sent.filter { $0.type == .propose }
        #expect(forwards.count == 1)
        #expect(forwards.first?.entries.count == 3)
        #expect(forwards.first?.to == pair.leader.status.id)
        pair.pump()
        #expect(answers == [1: .ok, 2: .ok, 3: .ok])
        for applier in pair.appliers { #expect(applier.applied.suffix(3).map(\.cxid) == [1, 2, 3]) }
    }

    @Test("a forwarded write the transport could not send is answered CONNECTIONLOSS at once, not after the proposal timeout")
    func droppedForwardFailsFast() throws {
        let pair = try Pair()
        let follower = pair.follower
        let appliedBefore = pair.appliers.map(\.applied.count)
        // The transport could queue none of the follower's messages.
        follower.send = { messages in messages }
        var answers: [ErrorCode] = []
        follower.append(sessionId: 9, cxid: 7, kind: .closeSession) { _, result in answers.append(result.error) }
        follower.append(sessionId: 9, cxid: 8, kind: .closeSession) { _, result in answers.append(result.error) }
        pair.loop.run()  // no time passes: the 10 s proposal timeout cannot have fired
        #expect(answers == [.connectionLoss, .connectionLoss])
        #expect(follower.pendingProposals == 0)
        pair.pump()
        #expect(pair.appliers.map(\.applied.count) == appliedBefore)
    }

    @Test("PeerTransport.send reports a frame it could not queue (no connection yet), then delivers once connected")
    func transportReportsDrops() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let logger = Logger(label: "test")
        let received = NIOLockedValueBox<[PeerFrame]>([])
        let server = PeerTransport(selfId: 2, peers: [], eventLoop: loop, logger: logger)
        server.onFrame = { _, frame in received.withLockedValue { $0.append(frame) } }
        let address = try server.listen(host: "127.0.0.1", port: 0)  // blocks: not on the loop
        let client = PeerTransport(selfId: 1, peers: [.init(id: 2, host: "127.0.0.1", port: address.port!)], eventLoop: loop, logger: logger)
        defer { try? loop.submit { client.close(); server.close() }.wait() }
        let frame = PeerFrame.sessionTouches([42])
        #expect(try loop.submit { client.send(to: 2, frame) }.wait() == false, "not connected yet: dropped and reported")
        #expect(try loop.submit { client.send(to: 3, frame) }.wait() == false, "unknown peer")
        let deadline = ContinuousClock.now + .seconds(10)
        var sent = false
        while !sent && ContinuousClock.now < deadline {
            sent = try loop.submit { client.send(to: 2, frame) }.wait()
            if !sent { Thread.sleep(forTimeInterval: 0.01) }
        }
        #expect(sent)
        while received.withLockedValue({ $0.isEmpty }) && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(received.withLockedValue { $0 } == [frame])
    }
}
