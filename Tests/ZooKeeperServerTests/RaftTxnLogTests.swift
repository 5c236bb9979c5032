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

    /// A walk that records how many nodes each `step` was allowed, and ends after `steps` calls.
    final class RecordingJob: SnapshotJob, @unchecked Sendable {
        var budgets: [Int] = []
        let steps: Int
        init(steps: Int) { self.steps = steps }
        func step(maxNodes: Int) -> Bool {
            budgets.append(maxNodes)
            return budgets.count >= steps
        }
        func finish() -> [UInt8] { [9] }
        func stream(chunkSize: Int, to sink: @escaping @Sendable (StoreSnapshotChunk) -> Void) {}
        func recycle(_ chunk: StoreSnapshotChunk) {}
        func flush() {}
        var isAbandoned: Bool { false }
        var isWaiting: Bool { false }
    }

    final class PacedApplier: TxnApplier {
        var jobs: [RecordingJob] = []
        func applyCommitted(_ txn: Txn) -> ApplyResult { .ok(.empty) }
        var lastAppliedZxid: Int64 { 0 }
        func snapshotData() -> [UInt8] { [] }
        func restore(snapshot data: [UInt8]) throws {}
        func beginSnapshot() -> any SnapshotJob {
            let job = RecordingJob(steps: 1_000_000)
            jobs.append(job)
            return job
        }
    }

    @Test("the snapshot walk takes small steps while few entries arrive between its slices, big ones under a heavy write load")
    func walkPacedByLoad() throws {
        let loop = EmbeddedEventLoop()
        let applier = PacedApplier()
        let log = try RaftTxnLog(nodeId: 1, peers: [1], store: InMemoryRaftLog(), applier: applier, applied: 0, eventLoop: loop,
                                 clock: { 1_000 }, logger: Logger(label: "test"), seed: 7)
        log.start(tick: .seconds(3600))
        loop.run()
        // Slices end after one step: the fake walk needs many, so the pacing decides each one.
        log.snapshotSliceNs = 0
        log.snapshotLightSliceNs = 0
        log.append(sessionId: 1, cxid: 0, kind: .closeSession) { _, _ in }
        loop.run()
        log.takeSnapshot()
        let job = try #require(applier.jobs.first)
        #expect(job.budgets == [64], "a snapshot starts with small steps")
        /// Applies `writes` entries, then lets time pass until exactly the next slice ran
        /// (pauses between slices are 0.5 ms or more).
        func gap(writes: Int) {
            for i in 0..<writes { log.append(sessionId: 1, cxid: Int32(i), kind: .closeSession) { _, _ in } }
            loop.run()
            let slices = job.budgets.count
            for _ in 0..<100 where job.budgets.count == slices { loop.advanceTime(by: .microseconds(250)) }
            #expect(job.budgets.count == slices + 1)
        }
        for _ in 0..<3 { gap(writes: 2) }
        #expect(job.budgets == [64, 64, 64, 64], "light load: small steps")
        for _ in 0..<3 { gap(writes: 100) }
        #expect(job.budgets.suffix(3) == [512, 512, 512], "heavy load: big steps")
        gap(writes: 3)
        #expect(job.budgets.last == 64, "back to small steps once the load is light again")
        gap(writes: 0)
        #expect(job.budgets.last == 512, "no writes at all: big steps (nobody waits)")
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
