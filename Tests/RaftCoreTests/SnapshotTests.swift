import Testing
@testable import RaftCore

@Suite("Snapshots and InstallSnapshot")
struct SnapshotTests {
    /// Node 3 falls behind; the leader snapshots and compacts; node 3 must be caught
    /// up by a chunked InstallSnapshot.
    @Test("a lagging follower is caught up by a chunked snapshot after compaction")
    func chunkedSnapshotCatchUp() throws {
        var c = TestCluster([1, 2, 3]) { $0.maxSnapshotChunkBytes = 10 }
        c.elect(1)
        c.isolate(3)
        for i in 0..<20 { try c.propose(1, "v\(i)") }
        let applied = c[1].status.applied
        let data = Array("application-state-at-\(applied)".utf8)  // 25+ bytes: 3+ chunks
        let s = c.storages[1]!
        try s.createSnapshot(index: applied, configuration: c[1].configuration, data: data)
        try s.compact(upTo: applied)
        c.heal()
        c.delivered = []
        c.tickAll(5)
        let chunks = c.delivered.filter { $0.type == .snapshotChunk && $0.to == 3 }
        #expect(chunks.count >= 3)
        #expect(chunks.allSatisfy { ($0.snapshot?.data.count ?? 0) <= 10 })
        #expect(c.storages[3]!.currentSnapshot.data == data)
        #expect(c.storages[3]!.currentSnapshot.metadata.index == applied)
        #expect(c[3].committed == c[1].committed)
        // Replication continues normally afterwards.
        try c.propose(1, "after")
        #expect(c.appliedData(3) == ["after"])
        #expect(c.raft(1).progress[3]!.state == .replicate)
    }

    @Test("a lost snapshot chunk is resent and the transfer completes")
    func lostChunkResent() throws {
        var c = TestCluster([1, 2, 3]) { $0.maxSnapshotChunkBytes = 4 }
        c.elect(1)
        c.isolate(3)
        for i in 0..<5 { try c.propose(1, "v\(i)") }
        let applied = c[1].status.applied
        try c.storages[1]!.createSnapshot(index: applied, configuration: c[1].configuration, data: Array(0..<16))
        try c.storages[1]!.compact(upTo: applied)
        c.heal()
        var dropped = 0
        c.dropIf = { m in
            // Drop the second chunk once.
            if m.type == .snapshotChunk && m.snapshot?.offset == 4 && dropped == 0 { dropped += 1; return true }
            return false
        }
        c.tickAll(10)
        #expect(dropped == 1)
        #expect(c.storages[3]!.currentSnapshot.data == Array(0..<16))
        #expect(c[3].committed == c[1].committed)
    }

    @Test("the follower restores configuration from the snapshot")
    func snapshotCarriesConfiguration() throws {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        c.isolate(3)
        try c.propose(1, "x")
        let applied = c[1].status.applied
        try c.storages[1]!.createSnapshot(index: applied, configuration: Configuration(voters: [1, 2, 3]), data: [7])
        try c.storages[1]!.compact(upTo: applied)
        c.heal()
        c.tickAll(5)
        c.restart(3)
        #expect(c[3].configuration == Configuration(voters: [1, 2, 3]))
        #expect(c[3].firstIndex == applied + 1)
    }
}

@Suite("Storage and log")
struct StorageAndLogTests {
    func storage(_ terms: [UInt64]) -> MemoryStorage {
        let s = MemoryStorage()
        try! s.append(terms.enumerated().map { Entry(term: $0.element, index: UInt64($0.offset + 1)) })
        return s
    }

    @Test("MemoryStorage: term, entries, size limit and bounds")
    func memoryStorageBasics() throws {
        let s = storage([1, 1, 2, 3])
        #expect(try s.firstIndex() == 1)
        #expect(try s.lastIndex() == 4)
        #expect(try s.term(3) == 2)
        #expect(try s.entries(2, 5, maxBytes: .max).map(\.index) == [2, 3, 4])
        #expect(try s.entries(2, 5, maxBytes: 1).map(\.index) == [2])  // at least one
        #expect(throws: StorageError.unavailable) { try s.entries(2, 6, maxBytes: .max) }
    }

    @Test("MemoryStorage: compaction and snapshots")
    func memoryStorageCompaction() throws {
        let s = storage([1, 1, 2, 3, 3])
        try s.createSnapshot(index: 3, configuration: Configuration(voters: [1]), data: [1, 2])
        try s.compact(upTo: 3)
        #expect(try s.firstIndex() == 4)
        #expect(try s.term(3) == 2)
        #expect(throws: StorageError.compacted) { try s.term(2) }
        #expect(throws: StorageError.compacted) { try s.entries(3, 5, maxBytes: .max) }
        #expect(throws: StorageError.snapshotOutOfDate) {
            try s.createSnapshot(index: 2, configuration: Configuration(voters: [1]), data: [])
        }
    }

    @Test("MemoryStorage: released payloads keep terms, read as compacted, and survive snapshot, compaction and install")
    func memoryStoragePayloadRelease() throws {
        let s = MemoryStorage()
        try s.append((1...8).map { Entry(term: $0 < 5 ? 1 : 2, index: $0, data: [UInt8($0), 0xee]) })
        s.releasePayloads(through: 5)
        #expect(s.payloadFloor == 5)
        #expect(try (1...8).map { try s.term($0) } == [1, 1, 1, 1, 2, 2, 2, 2])
        for lo: UInt64 in 1...5 { #expect(throws: StorageError.compacted) { try s.entries(lo, 9, maxBytes: .max) } }
        #expect(try s.entries(6, 9, maxBytes: .max).map(\.data) == [[6, 0xee], [7, 0xee], [8, 0xee]])
        // Idempotent, never moves back, and clamps to the last index.
        s.releasePayloads(through: 3)
        #expect(s.payloadFloor == 5)
        s.releasePayloads(through: 100)
        #expect(s.payloadFloor == 8)
        #expect(throws: StorageError.compacted) { try s.entries(8, 9, maxBytes: .max) }
        try s.append([Entry(term: 2, index: 9, data: [9])])
        #expect(try s.entries(9, 10, maxBytes: .max).map(\.data) == [[9]])
        // A snapshot inside the released range takes its term from the kept entry.
        let snap = try s.createSnapshot(index: 6, configuration: Configuration(voters: [1]), data: [42])
        #expect(snap.metadata.term == 2)
        try s.compact(upTo: 6)
        #expect(try s.firstIndex() == 7)
        #expect(throws: StorageError.compacted) { try s.entries(7, 10, maxBytes: .max) }
        #expect(try s.entries(9, 10, maxBytes: .max).map(\.data) == [[9]])
        // Installing a newer snapshot replaces the log; new entries are readable again.
        try s.applySnapshot(Snapshot(metadata: SnapshotMetadata(index: 20, term: 3, configuration: Configuration(voters: [1])), data: []))
        #expect(s.payloadFloor == 0)
        try s.append([Entry(term: 3, index: 21, data: [21])])
        #expect(try s.entries(21, 22, maxBytes: .max).map(\.data) == [[21]])
    }

    @Test("MemoryStorage: append truncates a conflicting suffix")
    func memoryStorageTruncate() throws {
        let s = storage([1, 1, 2, 2])
        try s.append([Entry(term: 3, index: 3), Entry(term: 3, index: 4), Entry(term: 3, index: 5)])
        #expect(try s.lastIndex() == 5)
        #expect(try s.term(3) == 3)
        #expect(try s.term(2) == 1)
    }

    @Test("log: isUpToDate compares last term, then last index (§5.4.1)")
    func upToDate() {
        let log = RaftLog(storage: storage([1, 2, 2]))
        #expect(log.isUpToDate(lastIndex: 1, term: 3))
        #expect(log.isUpToDate(lastIndex: 3, term: 2))
        #expect(!log.isUpToDate(lastIndex: 2, term: 2))
        #expect(!log.isUpToDate(lastIndex: 10, term: 1))
    }

    @Test("log: findConflictByTerm skips whole terms")
    func conflictByTerm() {
        let log = RaftLog(storage: storage([1, 1, 2, 2, 2, 5, 5]))
        #expect(log.findConflictByTerm(index: 7, term: 3) == (5, 2))
        #expect(log.findConflictByTerm(index: 7, term: 5) == (7, 5))
        #expect(log.findConflictByTerm(index: 4, term: 1) == (2, 1))
        #expect(log.findConflictByTerm(index: 7, term: 0) == (0, 0))
    }

    @Test("log: maybeAppend rejects a mismatched previous entry and truncates conflicts")
    func maybeAppend() {
        var log = RaftLog(storage: storage([1, 1, 2]))
        #expect(log.maybeAppend(index: 3, logTerm: 1, committed: 0, entries: []) == nil)
        let r = log.maybeAppend(index: 2, logTerm: 1, committed: 3,
                                entries: [Entry(term: 3, index: 3), Entry(term: 3, index: 4)])
        #expect(r?.last == 4)
        #expect(r?.written == 3)
        #expect((try? log.term(3)) == 3)
        #expect(log.committed == 3)
    }

    @Test("configuration encoding round-trips and single changes compose")
    func configurationRoundTrip() {
        let c = Configuration(voters: [3, 1, 2], learners: [9])
        #expect(Configuration.decode(c.encoded()) == c)
        #expect(ConfChange.addVoter(9).applied(to: c) == Configuration(voters: [1, 2, 3, 9]))
        #expect(ConfChange.addLearner(1).applied(to: c) == Configuration(voters: [2, 3], learners: [1, 9]))
        #expect(ConfChange.remove(2).applied(to: c) == Configuration(voters: [1, 3], learners: [9]))
        #expect(ConfChange.remove(7).applied(to: c) == nil)
        #expect(ConfChange.remove(1).applied(to: Configuration(voters: [1])) == nil)
    }
}
