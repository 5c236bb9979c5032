import Foundation
import Synchronization
import Testing
import ZNodeStore
import ZooKeeperWire

/// Incremental snapshots: the walk runs in slices while txns keep being applied, and must
/// still produce exactly the bytes of the state at `beginSnapshot`.
@Suite("Incremental snapshots")
struct IncrementalSnapshotTests {
    func randomLog(seed: UInt64, count: Int, from zxid: Int64) -> [Txn] {
        var rng = SeededGenerator(seed: seed)
        let gen = RandomizedTests()
        let auths = [AuthContext(), AuthContext(ids: [Id(scheme: "digest", id: "u:h")])]
        return (0..<count).map { i in
            let z = zxid + Int64(i)
            let session = Int64.random(in: 1...3, using: &rng)
            let kind: TxnKind
            switch Int.random(in: 0..<20, using: &rng) {
            case 0: kind = .createSession(timeout: 5000)
            case 1: kind = .closeSession
            case 2..<7:
                let ops = (0..<Int.random(in: 1...4, using: &rng)).map { _ in gen.randomOp(&rng, inMulti: true) }
                kind = .request(.multi(ops), auth: auths.randomElement(using: &rng)!)
            default:
                kind = .request(gen.randomOp(&rng, inMulti: false), auth: auths.randomElement(using: &rng)!)
            }
            return Txn(sessionId: session, zxid: z, time: z * 10, kind: kind)
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func walkInterleavedWithWritesSeesTheStartState(seed: UInt64) throws {
        let store = ZNodeStore()
        for t in randomLog(seed: seed, count: 400, from: 1) { _ = store.apply(t) }
        let expected = store.serializeSnapshot()
        let builder = store.beginSnapshot()
        var rng = SeededGenerator(seed: seed &* 31)
        let writes = randomLog(seed: seed + 100, count: 400, from: 1000)
        var next = 0
        var done = false
        while !done {
            done = builder.step(maxNodes: Int.random(in: 1...3, using: &rng))
            for _ in 0..<Int.random(in: 0...6, using: &rng) where next < writes.count {
                _ = store.apply(writes[next])
                next += 1
            }
        }
        #expect(next > 0, "writes were applied while the walk ran")
        store.endSnapshot(builder)
        #expect(!builder.isAbandoned)
        let same = builder.finish() == expected
        #expect(same, "the snapshot differs from the state at beginSnapshot")
        // the live store moved on and is intact
        for t in writes[next...] { _ = store.apply(t) }
        #expect(store.invariantViolations().isEmpty)
        let now = store.serializeSnapshot()
        #expect(try ZNodeStore.deserialize(now, config: store.config).serializeSnapshot() == now)
    }

    @Test func largeTreeSnapshotAcrossManySlicesWithHeavyChurn() throws {
        let store = ZNodeStore()
        var z: Int64 = 0
        func apply(_ r: ZooKeeperRequest, session: Int64 = 1) -> ApplyResult {
            z += 1
            return store.apply(Txn(sessionId: session, zxid: z, time: z, kind: .request(r, auth: AuthContext())))
        }
        z += 1
        _ = store.apply(Txn(sessionId: 7, zxid: z, time: z, kind: .createSession(timeout: 1000)))
        for p in 0..<20 {
            _ = apply(.create(CreateRequest(path: "/p\(p)", data: [UInt8(p)])))
            for c in 0..<100 { _ = apply(.create(CreateRequest(path: "/p\(p)/c\(c)", data: [UInt8(c)], flags: c % 10 == 0 ? 1 : 0)), session: 7) }
        }
        let expected = store.serializeSnapshot()
        let builder = store.beginSnapshot()
        var round = 0
        while !builder.step(maxNodes: 50) {
            round += 1
            let p = round % 20
            _ = apply(.setData(SetDataRequest(path: "/p\(p)/c\(round % 100)", data: [9, 9], version: -1)))
            _ = apply(.delete(PathVersionRequest(path: "/p\(p)/c\((round * 7) % 100)", version: -1)))
            _ = apply(.create(CreateRequest(path: "/p\(p)/new\(round)", data: [1])))
            _ = apply(.setACL(SetACLRequest(path: "/p\(p)", acl: ACL.readUnsafe, version: -1)))
        }
        #expect(round > 30)
        #expect(builder.preservedNodes > 0)
        z += 1
        _ = store.apply(Txn(sessionId: 7, zxid: z, time: z, kind: .closeSession))
        store.endSnapshot(builder)
        let same = builder.finish() == expected
        #expect(same, "the snapshot differs from the state at beginSnapshot")
    }

    @Test("a chunk's pieces are its bytes with the spliced arrays inserted at their offsets, in order")
    func chunkPieces() {
        let own: [UInt8] = [1, 2, 3, 4]
        let cases: [([(at: Int, data: [UInt8])], [UInt8])] = [
            ([], [1, 2, 3, 4]),
            ([(0, [9])], [9, 1, 2, 3, 4]),
            ([(4, [9, 8])], [1, 2, 3, 4, 9, 8]),
            ([(2, [7]), (2, [8]), (3, [9])], [1, 2, 7, 8, 3, 9, 4]),
            ([(1, [])], [1, 2, 3, 4]),
        ]
        for (spliced, expected) in cases {
            let chunk = SnapshotChunk(own, spliced: spliced)
            var pieces: [[UInt8]] = []
            chunk.forEachPiece { pieces.append(Array($0)) }
            #expect(pieces.joined().elementsEqual(expected))
            #expect(!pieces.contains { $0.isEmpty && !chunk.spliced.contains { $0.data.isEmpty } }, "no empty pieces of its own bytes")
            #expect(chunk.contents == expected)
            #expect(chunk.count == expected.count)
        }
        #expect(SnapshotChunk([], spliced: [(0, [5, 6])]).contents == [5, 6])
    }

    @Test("a non-canonical walk (dictionary order), streamed in small chunks while writes go on, restores to the start state",
          arguments: [1, 2, 3] as [UInt64])
    func streamedNonCanonicalWalkRestoresTheStartState(seed: UInt64) throws {
        let store = ZNodeStore()
        for t in randomLog(seed: seed, count: 400, from: 1) { _ = store.apply(t) }
        let expected = store.serializeSnapshot()
        let builder = store.beginSnapshot(canonical: false)
        builder.spliceAtLeast = 2  // most data is written by reference (1-byte data is copied)
        let received = Mutex<[SnapshotChunk]>([])
        builder.stream(chunkSize: 300) { chunk in received.withLock { $0.append(chunk) } }
        var rng = SeededGenerator(seed: seed &* 17)
        let writes = randomLog(seed: seed + 200, count: 400, from: 1000)
        var next = 0
        var streamed: [UInt8] = []
        var recycled = 0
        while !builder.step(maxNodes: Int.random(in: 1...3, using: &rng)) {
            for _ in 0..<Int.random(in: 0...6, using: &rng) where next < writes.count {
                _ = store.apply(writes[next])
                next += 1
            }
            // The consumer takes the chunks as they come and hands their buffers back.
            let ready = received.withLock { chunks in
                defer { chunks = [] }
                return chunks
            }
            for chunk in ready {
                streamed += chunk.contents
                builder.recycle(chunk)
                recycled += 1
            }
        }
        store.endSnapshot(builder)
        builder.flush()
        let rest = received.withLock { $0 }
        for chunk in rest { streamed += chunk.contents }
        #expect(next > 0 && recycled > 2, "writes were applied and chunks streamed while the walk ran")
        #expect(builder.bytesWritten == streamed.count)
        let restored = try ZNodeStore.deserialize(streamed, config: store.config)
        #expect(restored.serializeSnapshot() == expected, "the streamed snapshot restores to the state at beginSnapshot")
        #expect(restored.invariantViolations().isEmpty)
    }

    @Test("a walk whose big child lists are sorted on another thread, interleaved with txns, restores to the start state",
          arguments: [(1, false), (2, true), (3, true)] as [(UInt64, Bool)])
    func walkWithBackgroundSortsSeesTheStartState(seed: UInt64, canonical: Bool) throws {
        let (store, expected, builder, received) = streamedBulkWalk(seed: seed, canonical: canonical)
        let writes = randomLog(seed: seed + 300, count: 20_000, from: 10_000)
        var next = 0
        var rng = SeededGenerator(seed: seed &* 7)
        while !builder.step(maxNodes: Int.random(in: 1...4, using: &rng)) {
            if next < writes.count {
                _ = store.apply(writes[next])
                next += 1
            }
        }
        try checkStreamedWalk(store, builder, received: received, expected: expected, canonical: canonical,
                              writes: writes, applied: next)
    }

    /// The bytes a streamed walk handed over, in order.
    final class Received: Sendable {
        let bytes = Mutex<[UInt8]>([])
        func append(_ chunk: SnapshotChunk) { bytes.withLock { $0 += chunk.contents } }
    }

    /// A bulk store, its canonical bytes, and a walk of it streamed into `received` in
    /// small chunks, big child lists sorted in the background, all data spliced.
    func streamedBulkWalk(seed: UInt64, canonical: Bool)
        -> (store: ZNodeStore, expected: [UInt8], builder: SnapshotBuilder, received: Received) {
        let store = bulkStore(seed: seed)
        let expected = store.serializeSnapshot()
        let builder = store.beginSnapshot(canonical: canonical)
        builder.backgroundSortThreshold = 8
        builder.spliceAtLeast = 1
        let received = Received()
        builder.stream(chunkSize: 512) { received.append($0) }
        return (store, expected, builder, received)
    }

    /// After a streamed walk with `applied` of `writes` applied meanwhile: ends it, and
    /// checks that the streamed bytes restore to `expected` (equal it when canonical) and
    /// that the live store takes the rest of the writes intact.
    func checkStreamedWalk(_ store: ZNodeStore, _ builder: SnapshotBuilder, received: Received, expected: [UInt8],
                           canonical: Bool, writes: [Txn], applied next: Int) throws {
        #expect(next > 0, "writes were applied while the walk ran")
        store.endSnapshot(builder)
        builder.flush()
        let streamed = received.bytes.withLock { $0 }
        #expect(streamed.count == expected.count, "same size as the canonical bytes")
        let restored = try ZNodeStore.deserialize(streamed, config: store.config)
        #expect(restored.serializeSnapshot() == expected, "the walk restores to the state at beginSnapshot")
        if canonical { #expect(streamed == expected) }
        for t in writes[next...] { _ = store.apply(t) }
        #expect(store.invariantViolations().isEmpty)
    }

    /// A tree with several big child lists (sorted on another thread when canonical).
    func bulkStore(seed: UInt64) -> ZNodeStore {
        let store = ZNodeStore()
        for t in randomLog(seed: seed, count: 3000, from: 1) { _ = store.apply(t) }
        for i in 0..<3000 {
            _ = store.apply(Txn(sessionId: 1, zxid: Int64(5000 + i), time: 1,
                                kind: .request(.create(CreateRequest(path: "/bulk\(i % 7)", data: [1])), auth: AuthContext())))
            _ = store.apply(Txn(sessionId: 1, zxid: Int64(5000 + i), time: 1,
                                kind: .request(.create(CreateRequest(path: "/bulk\(i % 7)/n\(i)", data: [UInt8(i & 255)])), auth: AuthContext())))
        }
        return store
    }

    @Test("a walk on a thread of its own, while this thread applies txns and lists children through the gate, streams the start state",
          arguments: [(11, false), (12, true), (13, true)] as [(UInt64, Bool)])
    func walkOffTheLoopSeesTheStartState(seed: UInt64, canonical: Bool) throws {
        let writes = randomLog(seed: seed + 300, count: 20_000, from: 10_000)
        let (store, expected, builder, received) = streamedBulkWalk(seed: seed, canonical: canonical)
        builder.moveWalkOffLoop()
        // 0 while walking, then 1 done or 2 abandoned.
        let outcome = Atomic<Int>(0)
        let walker = Thread {
            let done = builder.walk(stepNodes: 2, sliceNs: 5_000) { chunk in received.append(chunk) }
            outcome.store(done ? 1 : 2, ordering: .releasing)
        }
        walker.start()
        var next = 0
        let deadline = ContinuousClock.now + .seconds(120)
        while outcome.load(ordering: .acquiring) == 0 && ContinuousClock.now < deadline {
            guard next < writes.count else { Thread.sleep(forTimeInterval: 0.001); continue }
            builder.excludingWalk { _ = store.apply(writes[next]) }
            next += 1
            if next % 8 == 0 {
                // getChildren caches the order in the node: a write, through the gate too.
                _ = store.read(.getChildren(PathWatchRequest(path: "/bulk\(next % 7)", watch: false)), sessionId: 1, auth: AuthContext())
            }
        }
        #expect(outcome.load(ordering: .acquiring) == 1, "the walk finished (not abandoned, not timed out)")
        try checkStreamedWalk(store, builder, received: received, expected: expected, canonical: canonical,
                              writes: writes, applied: next)
    }

    @Test("ending a snapshot whose walk runs on another thread stops the walker, which reports it abandoned")
    func endingAnOffLoopWalkStopsTheWalker() throws {
        let store = bulkStore(seed: 21)
        let builder = store.beginSnapshot(canonical: true)
        builder.stream(chunkSize: 512) { _ in }
        builder.moveWalkOffLoop()
        let outcome = Atomic<Int>(0)
        let steps = Atomic<Int>(0)
        let walker = Thread {
            let done = builder.walk(stepNodes: 1, sliceNs: 1_000) { _ in steps.add(1, ordering: .relaxed) }
            outcome.store(done ? 1 : 2, ordering: .releasing)
        }
        walker.start()
        // Once a few chunks were written, the walk is under way (23k nodes, one per step).
        let started = ContinuousClock.now + .seconds(60)
        while steps.load(ordering: .relaxed) < 3 && ContinuousClock.now < started { Thread.sleep(forTimeInterval: 0.001) }
        #expect(steps.load(ordering: .relaxed) >= 3)
        store.endSnapshot(builder)
        let deadline = ContinuousClock.now + .seconds(60)
        while outcome.load(ordering: .acquiring) == 0 && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.001) }
        #expect(outcome.load(ordering: .acquiring) == 2, "the walker stopped and reported the walk abandoned")
        #expect(builder.isAbandoned)
    }

    /// A big child list sorted for one snapshot is reused by the next while it is
    /// unchanged, and never once its children changed (before or during the walk).
    @Test(arguments: [UInt64(3), 4, 5])
    func sortedListsAreReusedOnlyWhileUnchanged(seed: UInt64) throws {
        let store = ZNodeStore()
        let auth = AuthContext()
        var zxid: Int64 = 0
        func apply(_ r: ZooKeeperRequest) { zxid += 1; _ = store.apply(Txn(sessionId: 1, zxid: zxid, time: 1, kind: .request(r, auth: auth))) }
        for d in 0..<4 { apply(.create(CreateRequest(path: "/bulk\(d)"))) }
        for i in 0..<400 { apply(.create(CreateRequest(path: "/bulk\(i % 4)/n\(i)", data: [UInt8(i & 255)]))) }
        var rng = SeededGenerator(seed: seed)
        var reused: [Int] = []
        for round in 0..<4 {
            // Between walks: change one list (its order must not be reused).
            if round > 0 { apply(.create(CreateRequest(path: "/bulk\(round % 4)/between\(round)"))) }
            let expected = store.serializeSnapshot()
            let builder = store.beginSnapshot(canonical: true)
            builder.backgroundSortThreshold = 16
            let received = Mutex<[UInt8]>([])
            builder.stream(chunkSize: 256) { chunk in received.withLock { $0 += chunk.contents } }
            var k = 0
            while !builder.step(maxNodes: Int.random(in: 1...8, using: &rng)) {
                // During the walk: creates and deletes in /bulk0 and /bulk1.
                let d = Int.random(in: 0..<2, using: &rng)
                if Bool.random(using: &rng) {
                    apply(.create(CreateRequest(path: "/bulk\(d)/during\(round)-\(k)")))
                } else {
                    apply(.delete(PathVersionRequest(path: "/bulk\(d)/n\(Int.random(in: 0..<100, using: &rng) * 4 + d)", version: -1)))
                }
                k += 1
            }
            store.endSnapshot(builder)
            builder.flush()
            #expect(received.withLock { $0 } == expected, "round \(round): the bytes of the state at beginSnapshot")
            reused.append(builder.reusedSortedLists)
            #expect(store.invariantViolations().isEmpty)
        }
        // /bulk2 and /bulk3 change only between rounds 1-2 and 2-3 respectively; /bulk0
        // and /bulk1 change in every walk.
        #expect(reused == [0, 2, 1, 1], "only the lists unchanged since they were sorted are reused")
    }

    @Test func abandonedWalkIsMarked() {
        let store = ZNodeStore()
        for i in 0..<10 {
            _ = store.apply(Txn(sessionId: 1, zxid: Int64(i + 1), time: 1, kind: .request(.create(CreateRequest(path: "/n\(i)")), auth: AuthContext())))
        }
        let builder = store.beginSnapshot()
        #expect(!builder.step(maxNodes: 2))
        store.endSnapshot(builder)
        #expect(builder.isAbandoned)
    }
}
