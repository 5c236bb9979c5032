import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
import RaftCore
import RaftStorage
import Testing
import ZNodeStore
import ZooKeeperWire
@testable import ZooKeeperServer

/// The write boundary on a one-node Raft group, driven on an embedded event loop.
@Suite("Raft-backed txn log")
struct RaftTxnLogTests {
    final class RecordingApplier: TxnApplier {
        var applied: [Txn] = []
        var restored: [[UInt8]] = []
        func applyCommitted(_ txn: Txn) -> ApplyResult {
            applied.append(txn)
            return .ok(.empty)
        }
        var lastAppliedZxid: Int64 { applied.last?.zxid ?? 0 }
        func snapshotData() -> [UInt8] { [UInt8(truncatingIfNeeded: applied.count)] }
        func restore(snapshot data: [UInt8]) throws { restored.append(data) }
    }

    func makeLog(_ applier: RecordingApplier, store: InMemoryRaftLog, loop: EmbeddedEventLoop) throws -> RaftTxnLog {
        let log = try RaftTxnLog(nodeId: 1, peers: [1], store: store, applier: applier, applied: 0, eventLoop: loop,
                                 clock: { 1_000 }, logger: Logger(label: "test"), seed: 7)
        log.start(tick: .milliseconds(50))
        loop.run()
        return log
    }

    @Test("a write is answered only after it is committed and applied, with zxid = term << 32 | index")
    func appendCommitsAndApplies() throws {
        let loop = EmbeddedEventLoop()
        let applier = RecordingApplier()
        let log = try makeLog(applier, store: InMemoryRaftLog(), loop: loop)
        #expect(log.isLeader)
        var answered: [(Txn, ApplyResult)] = []
        log.append(sessionId: 5, cxid: 1, kind: .createSession(timeout: 3000)) { answered.append(($0, $1)) }
        log.append(sessionId: 5, cxid: 2, kind: .closeSession) { answered.append(($0, $1)) }
        #expect(answered.isEmpty, "nothing is answered before the Ready loop ran")
        loop.run()
        #expect(answered.count == 2)
        #expect(applier.applied.map(\.cxid) == [1, 2])
        let z = answered.map { $0.0.zxid }
        #expect(z[0] >> 32 == Int64(log.status.term))
        #expect(z[1] == z[0] + 1)
        #expect(answered.allSatisfy { $0.1.error == .ok })
    }

    @Test("every snapCount applied entries a snapshot is taken and the log compacted")
    func snapshotsAndCompaction() throws {
        let loop = EmbeddedEventLoop()
        let applier = RecordingApplier()
        let store = InMemoryRaftLog()
        let log = try makeLog(applier, store: store, loop: loop)
        log.snapCount = 10
        log.entriesKeptAfterSnapshot = 2
        for i in 0..<25 {
            log.append(sessionId: 1, cxid: Int32(i), kind: .closeSession) { _, _ in }
            loop.run()
        }
        #expect(log.snapshotIndex >= 20)
        #expect(try store.snapshot().metadata.index == log.snapshotIndex)
        #expect(log.firstIndex == log.snapshotIndex - 2 + 1)
    }

    @Test("a node without followers drops applied entries' data from memory, keeping the rest; with the flag off it keeps all")
    func appliedPayloadsReleased() throws {
        for release in [true, false] {
            let loop = EmbeddedEventLoop()
            let applier = RecordingApplier()
            let store = InMemoryRaftLog()
            let log = try makeLog(applier, store: store, loop: loop)
            log.releaseAppliedPayloads = release
            for i in 0..<6 {
                log.append(sessionId: 1, cxid: Int32(i), kind: .closeSession) { _, _ in }
                loop.run()
            }
            #expect(applier.applied.count == 6)
            let last = try store.lastIndex()
            #expect(log.appliedIndex == last)
            #expect(store.storage.payloadFloor == (release ? last : 0))
            if release {
                #expect(throws: StorageError.compacted) { try store.entries(last, last + 1, maxBytes: .max) }
            } else {
                #expect(try store.entries(last, last + 1, maxBytes: .max).first?.data.isEmpty == false)
            }
            #expect(try store.term(last) == log.status.term)
        }
    }

    final class SendableApplier: TxnApplier, @unchecked Sendable {
        func applyCommitted(_ txn: Txn) -> ApplyResult { .ok(.empty) }
        var lastAppliedZxid: Int64 { 0 }
        func snapshotData() -> [UInt8] { [1, 2, 3] }
        func restore(snapshot data: [UInt8]) throws {}
    }

    @Test("the newest snapshot file is read back only once no entry has been applied for snapshotReadBackDelay")
    func snapshotReadBackWaitsForQuiet() throws {
        // A real event loop: with DiskStorage the log hands fsyncs and snapshot files to
        // background queues, which come back through `execute` from their own threads.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        for quiet in [TimeAmount.hours(1), .zero] {
            var template = Array("/tmp/tusk-readback-XXXXXX".utf8CString)
            let dir = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }!)
            defer { _ = try? FileManager.default.removeItem(atPath: dir) }
            let applier = SendableApplier()  // the log holds it unowned
            let log = try loop.submit {
                let log = try RaftTxnLog(nodeId: 1, peers: [1], store: try DiskStorage(directory: dir), applier: applier, applied: 0,
                                         eventLoop: loop, clock: { 1_000 }, logger: Logger(label: "test"), seed: 7)
                log.snapshotReadBackDelay = quiet
                log.snapCount = 5
                log.start(tick: .milliseconds(10))
                return log
            }.wait()
            for i in 0..<6 {
                try loop.submit { log.append(sessionId: 1, cxid: Int32(i), kind: .closeSession) { _, _ in } }.wait()
            }
            let deadline = ContinuousClock.now + .seconds(10)
            func value<T: Sendable>(_ f: @escaping @Sendable () -> T) throws -> T { try loop.submit(f).wait() }
            while try value({ log.snapshotIndex }) == 0 && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
            #expect(try value { log.snapshotIndex } >= 5)
            if quiet == .zero {
                while try value({ log.snapshotsReadBack }) == 0 && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
            }
            Thread.sleep(forTimeInterval: 0.2)  // ~20 more ticks
            #expect(try value { log.snapshotsReadBack } == (quiet == .zero ? 1 : 0), "delay \(quiet)")
            try loop.submit { log.stop() }.wait()
            withExtendedLifetime(applier) {}
        }
    }

    @Test("sync waits for a ReadIndex barrier")
    func readBarrier() throws {
        let loop = EmbeddedEventLoop()
        let log = try makeLog(RecordingApplier(), store: InMemoryRaftLog(), loop: loop)
        var released = false
        log.readBarrier { released = true }
        loop.run()
        #expect(released)
    }
}
