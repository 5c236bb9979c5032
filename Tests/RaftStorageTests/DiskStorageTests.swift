#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import RaftCore
@testable import RaftStorage

/// A fresh directory under /tmp, removed by `cleanup()`.
struct TempDir {
    let path: String

    init() {
        var template = Array("/tmp/tusk-raft-storage-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: p!)
    }

    func cleanup() {
        for sub in ["wal", "snap"] {
            for f in (try? FileIO.list(path + "/" + sub)) ?? [] { unlink(path + "/" + sub + "/" + f) }
            rmdir(path + "/" + sub)
        }
        for f in (try? FileIO.list(path)) ?? [] { unlink(path + "/" + f) }
        rmdir(path)
    }

    func segmentFiles() -> [String] { ((try? FileIO.list(path + "/wal")) ?? []).map { path + "/wal/" + $0 } }
}

func entries(_ range: ClosedRange<UInt64>, term: UInt64, size: Int = 10) -> [Entry] {
    range.map { Entry(term: term, index: $0, data: [UInt8](repeating: UInt8(truncatingIfNeeded: $0), count: size)) }
}

func overwrite(_ path: String, at offset: Int, with bytes: [UInt8]) {
    let fd = open(path, O_WRONLY)
    precondition(fd >= 0)
    _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, bytes.count, off_t(offset)) }
    close(fd)
}

func fileSize(_ path: String) -> Int {
    var st = stat()
    stat(path, &st)
    return Int(st.st_size)
}

@Suite("Durable Raft storage")
struct DiskStorageTests {
    @Test("entries and hard state survive reopening")
    func writeReopen() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        do {
            let s = try DiskStorage(directory: dir.path)
            try s.append(entries(1...10, term: 1))
            s.setHardState(HardState(term: 2, vote: 3, commit: 7))
            try s.sync()
            try s.append(entries(8...12, term: 2))  // truncates 8...10
            s.setHardState(HardState(term: 2, vote: 3, commit: 9))
            try s.sync()
        }
        let s = try DiskStorage(directory: dir.path)
        #expect(try s.lastIndex() == 12)
        #expect(try s.term(7) == 1)
        #expect(try s.term(8) == 2)
        #expect(try s.entries(1, 13, maxBytes: .max) == entries(1...7, term: 1) + entries(8...12, term: 2))
        let (hs, _) = try s.initialState()
        #expect(hs == HardState(term: 2, vote: 3, commit: 9))
        #expect(s.recovery.truncatedTail == nil)
    }

    @Test("sync is group commit: one WAL fsync covers every append since the last")
    func groupCommit() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let s = try DiskStorage(directory: dir.path)
        for i: UInt64 in 1...50 { try s.append(entries(i...i, term: 1)) }
        try s.sync()
        #expect(s.walSyncs == 1)
        try s.sync()  // nothing new: no fsync
        #expect(s.walSyncs == 1)
    }

    @Test("unsynced appends are not durable")
    func unsyncedLost() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        do {
            let s = try DiskStorage(directory: dir.path)
            try s.append(entries(1...3, term: 1))
            try s.sync()
            try s.append(entries(4...6, term: 1))  // never synced: the process "dies"
        }
        let s = try DiskStorage(directory: dir.path)
        #expect(try s.lastIndex() == 3)
    }

    @Test("a torn final record is truncated and the rest recovers")
    func tornTail() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        do {
            let s = try DiskStorage(directory: dir.path)
            try s.append(entries(1...5, term: 1, size: 100))
            try s.sync()
        }
        let seg = dir.segmentFiles().sorted().last!
        let size = fileSize(seg)
        #expect(truncate(seg, off_t(size - 50)) == 0)  // cut the last record in half
        let s = try DiskStorage(directory: dir.path)
        #expect(try s.lastIndex() == 4)
        #expect(s.recovery.truncatedTail?.file == seg)
        // Writing continues, and the next recovery is clean.
        try s.append(entries(5...6, term: 1))
        try s.sync()
        let again = try DiskStorage(directory: dir.path)
        #expect(try again.lastIndex() == 6)
        #expect(again.recovery.truncatedTail == nil)
    }

    @Test("a zero-filled tail (partially written page) counts as torn")
    func zeroTail() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        do {
            let s = try DiskStorage(directory: dir.path)
            try s.append(entries(1...3, term: 1))
            try s.sync()
        }
        let seg = dir.segmentFiles().sorted().last!
        overwrite(seg, at: fileSize(seg), with: [UInt8](repeating: 0, count: 300))
        let s = try DiskStorage(directory: dir.path)
        #expect(try s.lastIndex() == 3)
        #expect(s.recovery.truncatedTail != nil)
    }

    @Test("corruption in the middle of the log is refused with the file and offset")
    func midFileCorruption() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        do {
            let s = try DiskStorage(directory: dir.path)
            try s.append(entries(1...10, term: 1, size: 20))
            try s.sync()
        }
        let seg = dir.segmentFiles().sorted().last!
        // Record k starts at 16 + k * (8 + 38); flip a payload byte of record 3.
        let recordSize = 8 + 1 + 8 + 8 + 1 + 20
        let offset = 16 + 3 * recordSize
        overwrite(seg, at: offset + 12, with: [0xFF])
        #expect(throws: DiskStorageError.corruption(
            file: seg, offset: offset, reason: "record fails its length/crc32 check and valid data follows it")) {
            _ = try DiskStorage(directory: dir.path)
        }
        let message = "\(DiskStorageError.corruption(file: seg, offset: offset, reason: "x"))"
        #expect(message.contains(seg) && message.contains("offset \(offset)") && message.contains("refusing to start"))
    }

    @Test("compaction deletes old segments and recovery uses the snapshot")
    func compactionDeletesSegments() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var opts = DiskStorage.Options()
        opts.segmentBytes = 512
        do {
            let s = try DiskStorage(directory: dir.path, options: opts)
            for i: UInt64 in 1...60 {
                try s.append(entries(i...i, term: 1, size: 50))
                try s.sync()
            }
            let before = s.segmentCount
            #expect(before > 5)
            try s.createSnapshot(index: 50, configuration: Configuration(voters: [1, 2, 3]), data: [1, 2, 3])
            try s.compact(upTo: 50)
            #expect(s.segmentCount < before)
            #expect(dir.segmentFiles().count == s.segmentCount)
            #expect(try s.firstIndex() == 51)
        }
        // The snapshot is offered once it is read, before the log is; snapshot() still has it.
        var offered: [Snapshot] = []
        let s = try DiskStorage(directory: dir.path, options: opts) { offered.append($0) }
        #expect(offered.map(\.metadata.index) == [50] && offered.first?.data == [1, 2, 3])
        #expect(try s.firstIndex() == 51)
        #expect(try s.lastIndex() == 60)
        #expect(try s.snapshot().data == [1, 2, 3])
        #expect(try s.initialState().1 == Configuration(voters: [1, 2, 3]))
        #expect(try s.entries(51, 61, maxBytes: .max) == entries(51...60, term: 1, size: 50))
    }

    @Test("a snapshot from the leader round-trips and resets the log")
    func snapshotRoundTrip() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let snap = Snapshot(metadata: SnapshotMetadata(index: 100, term: 5, configuration: Configuration(voters: [1, 2], learners: [3])),
                            data: Array(0..<200).map { UInt8($0) })
        do {
            let s = try DiskStorage(directory: dir.path)
            try s.append(entries(1...20, term: 1))  // divergent old log
            try s.sync()
            try s.save(Ready(hardState: HardState(term: 5, vote: 0, commit: 100), snapshot: snap, mustSync: true))
            try s.append(entries(101...103, term: 5))
            try s.sync()
        }
        let s = try DiskStorage(directory: dir.path)
        #expect(try s.snapshot() == snap)
        #expect(try s.firstIndex() == 101)
        #expect(try s.lastIndex() == 103)
        #expect(try s.initialState().0 == HardState(term: 5, vote: 0, commit: 100))
    }

    @Test("a corrupt snapshot file is refused")
    func corruptSnapshotRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        do {
            let s = try DiskStorage(directory: dir.path)
            try s.append(entries(1...5, term: 1))
            try s.sync()
            try s.createSnapshot(index: 5, configuration: Configuration(voters: [1]), data: [9, 9, 9, 9])
        }
        let snapFile = dir.path + "/snap/" + (try FileIO.list(dir.path + "/snap")).first!
        overwrite(snapFile, at: fileSize(snapFile) - 1, with: [0])
        #expect(throws: DiskStorageError.corruption(file: snapFile, offset: 8, reason: "snapshot checksum mismatch")) {
            _ = try DiskStorage(directory: dir.path)
        }
    }

    @Test("a Raft node runs on DiskStorage and recovers after a restart")
    func raftOnDisk() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        func drain(_ node: inout RawNode, _ s: DiskStorage, applied: inout [String]) throws {
            for _ in 0..<10 where node.hasReady() {
                let rd = node.ready()
                try s.save(rd)
                for e in rd.committedEntries where e.type == .normal && !e.data.isEmpty {
                    applied.append(String(decoding: e.data, as: UTF8.self))
                }
                node.advance(rd)
            }
        }
        var applied: [String] = []
        do {
            let s = try DiskStorage(directory: dir.path)
            var node = try RawNode(config: RaftConfig(id: 1, peers: [1]), storage: s, random: SplitMix64(seed: 1))
            node.campaign()
            try drain(&node, s, applied: &applied)
            #expect(node.role == .leader)
            try node.propose(Array("hello".utf8))
            try drain(&node, s, applied: &applied)
            #expect(applied == ["hello"])
        }
        let s = try DiskStorage(directory: dir.path)
        var node = try RawNode(config: RaftConfig(id: 1), storage: s, random: SplitMix64(seed: 2))
        #expect(node.term == 2)
        var replayed: [String] = []
        try drain(&node, s, applied: &replayed)
        #expect(replayed == ["hello"])  // committed entries are re-applied from the log
    }
}

@Suite("forceSync=no")
struct NoFsyncTests {
    @Test("without WAL fsync, records are still written and recovered after a reopen")
    func writtenNotSynced() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var options = DiskStorage.Options()
        options.fsyncWAL = false
        do {
            let s = try DiskStorage(directory: dir.path, options: options)
            try s.append(entries(1...10, term: 2))
            s.setHardState(HardState(term: 2, vote: 1, commit: 10))
            try s.sync()
            #expect(s.walSyncs == 0)
        }
        let s = try DiskStorage(directory: dir.path, options: options)
        #expect(try s.lastIndex() == 10)
        #expect(try s.initialState().0 == HardState(term: 2, vote: 1, commit: 10))
    }
}
