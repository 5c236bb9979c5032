import Testing
import RaftCore
@testable import RaftStorage
import CTuskShims
#if canImport(Glibc)
import Glibc
#endif

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

    @Test("streamed snapshot files of every size around the block and stage boundaries, O_DIRECT or buffered, equal the one-buffer encoding")
    func streamedSnapshotSizes() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let storage = try DiskStorage(directory: dir.path)
        let conf = Configuration(voters: [1, 2, 3])
        let header = SnapshotFile.header(SnapshotMetadata(index: 1, term: 1, configuration: conf), dataLength: 0, dataCRC: 0).count
        let block = SnapshotFileStream.block, stage = SnapshotFileStream.stageBytes
        // File lengths (header + data) at, just under and just over a block, the stage and two stages.
        var lengths = [header, header + 1]
        for edge in [block, 2 * block, stage, 2 * stage] { lengths += [edge - 1, edge, edge + 1] }
        var index: UInt64 = 0
        var sawDirect = false
        for direct in [true, false] {
            for length in lengths {
                index += 1
                let meta = SnapshotMetadata(index: index, term: 3, configuration: conf)
                let data = (0..<(length - header)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(index)) }
                let stream = try storage.snapshotFileWriter.stream(meta, direct: direct)
                sawDirect = sawDirect || stream.direct
                #expect(direct || !stream.direct)
                // Pieces of uneven sizes, so appends straddle the stage's end.
                var offset = 0, piece = 1
                while offset < data.count {
                    let end = min(data.count, offset + piece)
                    stream.append(Array(data[offset..<end]))
                    offset = end
                    piece = piece * 3 + 1000
                }
                let path = try stream.finish()
                let onDisk = try FileIO.readAll(path)
                #expect(onDisk.count == length, "length \(length), direct \(direct)")
                #expect(onDisk == SnapshotFile.encode(Snapshot(metadata: meta, data: data)), "length \(length), direct \(direct)")
            }
        }
        let reopened = try DiskStorage(directory: dir.path)
        #expect(try reopened.snapshot().metadata.index == index)
        // Where the directory's file system takes O_DIRECT (ext4 does, tmpfs may not), the streams used it.
        let probe = open(dir.path + "/probe", O_WRONLY | O_CREAT | tusk_o_direct(), 0o644)
        if probe >= 0 {
            close(probe)
            #expect(tusk_o_direct() == 0 || sawDirect, "no stream used O_DIRECT")
        }
    }

    @Test("a paced snapshot file takes at least its bytes divided by the pace, and holds the same bytes")
    func pacedSnapshotFile() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let storage = try DiskStorage(directory: dir.path)
        let meta = SnapshotMetadata(index: 4, term: 1, configuration: Configuration(voters: [1]))
        let stream = try storage.snapshotFileWriter.stream(meta)
        stream.maxBytesPerSecond = 16 << 20
        let data = (0..<(4 * SnapshotFileStream.stageBytes)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let start = ContinuousClock.now
        for i in stride(from: 0, to: data.count, by: 100_000) { stream.append(Array(data[i..<min(data.count, i + 100_000)])) }
        let path = try stream.finish()
        // 1 MiB at 16 MiB/s: the writer slept until each 256 KiB write was due (a bound from
        // below only; sleeping may take longer).
        #expect(ContinuousClock.now - start >= .milliseconds(60))
        #expect(try FileIO.readAll(path) == SnapshotFile.encode(Snapshot(metadata: meta, data: data)))
    }

    @Test("SnapshotFile.read gives back what encode wrote, and refuses every damaged file")
    func readRoundTripsAndRefusesDamage() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.path + "/s.snap"
        func put(_ bytes: [UInt8]) throws {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            defer { close(fd) }
            try FileIO.writeAll(fd, bytes, path)
        }
        let snap = Snapshot(metadata: SnapshotMetadata(index: 77, term: 4, configuration: Configuration(voters: [1, 2], learners: [3])),
                            data: (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        let good = SnapshotFile.encode(snap)
        try put(good)
        #expect(try SnapshotFile.read(path) == snap)
        let empty = SnapshotFile.encode(Snapshot(metadata: snap.metadata, data: []))
        try put(empty)
        #expect(try SnapshotFile.read(path) == Snapshot(metadata: snap.metadata, data: []))
        var damaged: [[UInt8]] = [[], Array(good.prefix(10)), Array(good.prefix(39)), Array(good.dropLast()), good + [0]]
        for offset in [0, 9, 12, 20, 28, 33, 45, good.count / 2, good.count - 1] {
            var d = good
            d[offset] ^= 0x40
            damaged.append(d)
        }
        for (k, bytes) in damaged.enumerated() {
            try put(bytes)
            #expect(throws: DiskStorageError.self, "damaged file \(k) refused by read") { _ = try SnapshotFile.read(path) }
        }
    }

    @Test("readBack brings a whole snapshot file written with O_DIRECT into the page cache, not just one readahead window")
    func readBackCachesWholeFile() async throws {
        #if os(Linux)
        let dir = TempDir()
        defer { dir.cleanup() }
        let storage = try DiskStorage(directory: dir.path)
        let meta = SnapshotMetadata(index: 9, term: 1, configuration: Configuration(voters: [1]))
        let stream = try storage.snapshotFileWriter.stream(meta)
        let piece = [UInt8](repeating: 0x5a, count: 1 << 20)
        for _ in 0..<(3 * SnapshotFileStream.readBackWindow >> 20) { stream.append(piece) }
        let path = try stream.finish()
        /// Pages of the file in the page cache, and all its pages.
        func resident() -> (Int, Int) {
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            var st = stat()
            _ = fstat(fd, &st)
            let size = Int(st.st_size), page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let map = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0)!
            defer { munmap(map, size) }
            var vec = [UInt8](repeating: 0, count: (size + page - 1) / page)
            _ = mincore(map, size, &vec)
            return (vec.filter { $0 & 1 != 0 }.count, vec.count)
        }
        if stream.direct {
            #expect(resident().0 < resident().1, "an O_DIRECT write left the whole file cached")
        }
        SnapshotFileStream.readBack(path)
        let deadline = ContinuousClock.now + .seconds(10)
        var (cached, pages) = resident()
        // Linux's WILLNEED readahead leaves out a partial last page (a kernel quirk, also seen
        // with Python's os.posix_fadvise): one page short of the file is the whole of it.
        while cached < pages - 1 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
            (cached, pages) = resident()
        }
        #expect(cached >= pages - 1, "\(cached) of \(pages) pages cached after readBack")
        #endif
    }
}
