import Testing
import RaftCore
@testable import RaftStorage

@Suite("Deferred WAL fsync (syncBegin)")
struct DeferredSyncTests {
    @Test("entries written by syncBegin and synced elsewhere survive reopening; a rotation syncs at once")
    func deferredSyncSurvivesReopen() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        do {
            let s = try DiskStorage(directory: dir.path)
            try s.append(entries(1...5, term: 1))
            s.setHardState(HardState(term: 1, vote: 1, commit: 3))
            // A changed term/vote is written durably by syncBegin itself.
            let first = try #require(try s.syncBegin())
            // Entries appended while the fsync is pending go into the next batch.
            try s.append(entries(6...8, term: 1))
            try first.run()
            s.setHardState(HardState(term: 1, vote: 1, commit: 8))
            let second = try #require(try s.syncBegin())
            try second.run()
            #expect(s.walSyncs == 2)
            // Nothing buffered: nothing to fsync.
            #expect(try s.syncBegin() == nil)
        }
        let reopened = try DiskStorage(directory: dir.path)
        #expect(try reopened.lastIndex() == 8)
        #expect(reopened.hardState.term == 1)
        #expect(reopened.hardState.vote == 1)
        #expect(reopened.hardState.commit == 8)
        #expect(try reopened.entries(1, 9, maxBytes: .max).map(\.index) == Array(1...8))
    }

    @Test("a pending fsync still works after the segment it covers was rotated away")
    func pendingSyncOutlivesRotation() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var options = DiskStorage.Options()
        options.segmentBytes = 4096
        let s = try DiskStorage(directory: dir.path, options: options)
        try s.append(entries(1...10, term: 1, size: 100))
        let pending = try #require(try s.syncBegin())
        // Enough to pass segmentBytes: this syncBegin syncs and rotates on the spot.
        try s.append(entries(11...60, term: 1, size: 100))
        #expect(try s.syncBegin() == nil)
        #expect(s.segmentCount == 2)
        try pending.run()  // its descriptor is a duplicate, still valid
        let reopened = try DiskStorage(directory: dir.path)
        #expect(try reopened.lastIndex() == 60)
    }
}

@Suite("Snapshot data lives on disk")
struct SnapshotOnDiskTests {
    @Test("a created snapshot's data is read back from its file, not held in memory; recovery hands it out once")
    func snapshotDataOnDisk() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let data = [UInt8](repeating: 7, count: 10_000)
        do {
            let s = try DiskStorage(directory: dir.path)
            try s.append(entries(1...10, term: 1))
            try s.sync()
            try s.createSnapshot(index: 8, configuration: Configuration(voters: [1]), data: data)
            #expect(s.mem.currentSnapshot.data.isEmpty)
            #expect(try s.snapshot().data == data)
            #expect(try s.snapshot().metadata.index == 8)
        }
        let reopened = try DiskStorage(directory: dir.path)
        #expect(reopened.mem.currentSnapshot.data.isEmpty)
        #expect(try reopened.snapshot().data == data)
        #expect(reopened.recoveredSnapshot == nil)
        #expect(try reopened.snapshot().data == data)  // read from the file this time
    }

    @Test("a snapshot file written in two parts (no joined copy) is byte-identical to the one-buffer encoding")
    func twoPartEncoding() {
        for size in [0, 1, 4096, 100_003] {
            let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let snap = Snapshot(metadata: SnapshotMetadata(index: 42, term: 7, configuration: Configuration(voters: [1, 2, 3])), data: data)
            #expect(Array(SnapshotFile.encodedParts(snap.metadata, data: [data]).joined()) == SnapshotFile.encode(snap))
            let split = [Array(data.prefix(size / 3)), Array(data.dropFirst(size / 3))]
            #expect(Array(SnapshotFile.encodedParts(snap.metadata, data: split).joined()) == SnapshotFile.encode(snap))
        }
    }

    @Test("a snapshot file streamed in pieces is byte-identical to the one-buffer encoding, is recovered, and an aborted one leaves nothing")
    func streamedSnapshotFile() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let storage = try DiskStorage(directory: dir.path)
        let data = (0..<(3 << 20) + 12_345).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 9) }
        let meta = SnapshotMetadata(index: 42, term: 7, configuration: Configuration(voters: [1, 2, 3]))
        let stream = try storage.snapshotFileWriter.stream(meta)
        var offset = 0
        for size in [0, 1, 4095, 1 << 20, 9 << 20] where offset < data.count {
            let end = min(data.count, offset + size)
            stream.append(Array(data[offset..<end]))
            offset = end
        }
        stream.append(Array(data[offset...]))
        let path = try stream.finish()
        #expect(stream.bytesWritten == UInt64(data.count))
        let onDisk = try FileIO.readAll(path)
        #expect(onDisk == SnapshotFile.encode(Snapshot(metadata: meta, data: data)))
        let reopened = try DiskStorage(directory: dir.path)
        #expect(try reopened.snapshot().metadata == meta)
        #expect(try reopened.snapshot().data == data)

        let later = SnapshotMetadata(index: 50, term: 7, configuration: meta.configuration)
        let aborted = try storage.snapshotFileWriter.stream(later)
        aborted.append([1, 2, 3])
        aborted.abort()
        #expect(try FileIO.list(storage.snapDir) == [SnapshotFile.fileName(meta)], "only the finished snapshot is left")
    }
}
