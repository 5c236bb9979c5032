#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CTuskShims
import Dispatch
import RaftCore
import Synchronization

/// Durable `LogStorage`: segmented WAL + hard-state file + snapshot files, with reads
/// served from memory (like etcd's WAL + MemoryStorage). Not thread-safe: one owner,
/// the driver loop. Layout and formats: docs/WAL-FORMAT.md.
///
/// Driver use per `Ready`: `save(rd)` (= applySnapshot, append, setHardState, then
/// `sync()` when `rd.mustSync`), then send messages, apply, `advance`.
public final class DiskStorage: LogStorage {
    public struct Options: Sendable {
        /// Start a new segment once the current one reaches this size.
        public var segmentBytes: Int = 64 << 20
        /// Snapshot files kept (the newest plus older ones for diagnosis).
        public var keepSnapshots: Int = 2
        /// false = ZooKeeper's `forceSync=no`: WAL records are written (they survive a
        /// process crash) but not fsynced (a power loss may lose the latest). Term and vote
        /// are still written atomically and fsynced, so Raft's election safety holds.
        public var fsyncWAL: Bool = true
        public init() {}
    }

    /// What recovery found.
    public struct RecoveryReport: Sendable, Equatable {
        public var segments = 0
        public var records = 0
        public var snapshotIndex: UInt64 = 0
        /// A torn final record was cut off: (file, offset, bytes dropped).
        public var truncatedTail: (file: String, offset: Int, bytes: Int)?

        public static func == (a: Self, b: Self) -> Bool {
            a.segments == b.segments && a.records == b.records && a.snapshotIndex == b.snapshotIndex
                && a.truncatedTail?.file == b.truncatedTail?.file && a.truncatedTail?.offset == b.truncatedTail?.offset
        }
    }

    struct Segment {
        var seq: UInt64
        var firstIndex: UInt64
        var name: String
        var maxIndex: UInt64
    }

    public let directory: String
    let walDir: String
    let snapDir: String
    let options: Options
    let mem = MemoryStorage()
    var segments: [Segment] = []
    var fd: Int32 = -1
    var currentSize = 0
    var buffer: [UInt8] = []
    var persistedHardState = HardState()
    var pendingHardState: HardState?
    var lastCommitRecord: UInt64 = 0
    /// The newest snapshot's file (its data is not kept in memory).
    var snapshotFile: (index: UInt64, path: String)?
    /// The snapshot read by recovery, handed out once by `snapshot()`.
    var recoveredSnapshot: Snapshot?
    public internal(set) var recovery = RecoveryReport()
    /// fsync calls made on WAL segments (group commit: at most one per `sync()`).
    public private(set) var walSyncs = 0

    /// `snapshotRead`, when given, is called with the newest snapshot as soon as recovery
    /// has read it, before the WAL is replayed: a caller can start restoring its state
    /// machine from it on another thread while the WAL is read (`snapshot()` still hands
    /// the same snapshot out afterwards).
    public init(directory: String, options: Options = Options(),
                snapshotRead: ((Snapshot) -> Void)? = nil) throws(DiskStorageError) {
        self.directory = directory
        walDir = directory + "/wal"
        snapDir = directory + "/snap"
        self.options = options
        try FileIO.mkdirs(walDir)
        try FileIO.mkdirs(snapDir)
        try recover(snapshotRead: snapshotRead)
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    // MARK: - LogStorage (reads come from memory)

    public func initialState() throws(StorageError) -> (HardState, Configuration) { try mem.initialState() }
    public func entries(_ lo: UInt64, _ hi: UInt64, maxBytes: UInt64) throws(StorageError) -> [Entry] {
        try mem.entries(lo, hi, maxBytes: maxBytes)
    }
    public func term(_ i: UInt64) throws(StorageError) -> UInt64 { try mem.term(i) }
    public func firstIndex() throws(StorageError) -> UInt64 { try mem.firstIndex() }
    public func lastIndex() throws(StorageError) -> UInt64 { try mem.lastIndex() }
    /// The newest snapshot, its data read from its file: the data (the whole state
    /// machine) is not kept in memory, as it is needed only to restore at start and to
    /// catch up a lagging follower.
    public func snapshot() throws(StorageError) -> Snapshot {
        let s = try mem.snapshot()
        guard let file = snapshotFile, file.index == s.metadata.index else { return s }
        if let recovered = recoveredSnapshot {
            // The one read at start-up (for the state machine's restore): don't read it twice.
            recoveredSnapshot = nil
            if recovered.metadata.index == s.metadata.index { return recovered }
        }
        do {
            return try SnapshotFile.read(file.path)
        } catch {
            throw .snapshotTemporarilyUnavailable
        }
    }

    /// The metadata of `snap` for the in-memory log; the data stays in `path`.
    func withoutData(_ snap: Snapshot, file path: String) -> Snapshot {
        snapshotFile = (snap.metadata.index, path)
        return Snapshot(metadata: snap.metadata, data: [])
    }
    public var hardState: HardState { mem.hardState }

    // MARK: - Writes

    /// Persists one Ready's state; fsyncs when the Ready requires it.
    public func save(_ rd: Ready) throws(DiskStorageError) {
        if let s = rd.snapshot { try applySnapshot(s) }
        try append(rd.entries)
        if let hs = rd.hardState { setHardState(hs) }
        if rd.mustSync { try sync() }
    }

    /// Appends entries (buffered; durable after the next `sync()`). An entry at index i
    /// replaces any entries at ≥ i.
    public func append(_ ents: [Entry]) throws(DiskStorageError) {
        guard let first = ents.first else { return }
        let last = try! mem.lastIndex()
        if first.index > last + 1 {
            throw .invalidArgument("append at \(first.index) leaves a gap after \(last)")
        }
        for e in ents { WALRecord.entry(e).frame(into: &buffer) }
        segments[segments.count - 1].maxIndex = max(segments[segments.count - 1].maxIndex, ents.last!.index)
        do { try mem.append(ents) } catch { throw .invalidArgument("append: \(error)") }
        if buffer.count > 4 << 20 { try flush() }
    }

    /// Records the hard state; written by the next `sync()`.
    public func setHardState(_ hs: HardState) {
        mem.setHardState(hs)
        pendingHardState = hs
    }

    /// Makes everything written so far durable with one fsync of the WAL (group
    /// commit). A changed term or vote is also written to the hard-state file
    /// atomically; a changed commit index goes into the WAL as a small record.
    public func sync() throws(DiskStorageError) {
        try writeBuffered { fd, path throws(DiskStorageError) in
            if options.fsyncWAL {
                try FileIO.fsyncFD(fd, path)
                walSyncs += 1
            }
        }
        if currentSize >= options.segmentBytes { try rotate() }
    }

    /// `sync()` split for a caller that overlaps the fsync with other work (group commit
    /// with pipelining): writes everything buffered (and a changed hard state, durably) now,
    /// and returns the WAL fsync still to do — on any thread — or nil when nothing is left
    /// (no fsync configured, nothing written, or a segment rotation, which syncs at once).
    /// Until the returned fsync has run, what was written since the last sync is not durable.
    public func syncBegin() throws(DiskStorageError) -> PendingWALSync? {
        guard options.fsyncWAL, currentSize + buffer.count < options.segmentBytes else {
            try sync()
            return nil
        }
        var pending: PendingWALSync?
        try writeBuffered { fd, path throws(DiskStorageError) in
            // A duplicate descriptor: a later rotation may close `fd` while this fsync runs.
            let copy = dup(fd)
            if copy < 0 { throw FileIO.error("dup", path) }
            pending = PendingWALSync(fd: copy, path: path)
            walSyncs += 1
        }
        return pending
    }

    /// What `sync` and `syncBegin` share: a changed commit index goes into the WAL as a
    /// small record, the buffer is written (then `written` gets the segment's descriptor and
    /// path, to make it durable), and a changed term or vote is written to the hard-state
    /// file atomically.
    private func writeBuffered(_ written: (Int32, String) throws(DiskStorageError) -> Void) throws(DiskStorageError) {
        var writeFile = false
        if let hs = pendingHardState {
            if hs.term != persistedHardState.term || hs.vote != persistedHardState.vote {
                writeFile = true
            } else if hs.commit > lastCommitRecord {
                WALRecord.commit(hs.commit).frame(into: &buffer)
                lastCommitRecord = hs.commit
            }
        }
        if !buffer.isEmpty {
            try flush()
            try written(fd, walDir + "/" + segments[segments.count - 1].name)
        }
        if writeFile, let hs = pendingHardState {
            try FileIO.writeAtomically(directory + "/hardstate", dir: directory, HardStateFile.encode(hs))
            persistedHardState = hs
            lastCommitRecord = max(lastCommitRecord, hs.commit)
        }
        pendingHardState = nil
    }

    func flush() throws(DiskStorageError) {
        if buffer.isEmpty { return }
        try FileIO.writeAll(fd, buffer, segments[segments.count - 1].name)
        currentSize += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// Installs a snapshot received from the leader: the snapshot file is written
    /// durably, the in-memory log is reset, and a marker record tells recovery to
    /// ignore earlier log records.
    public func applySnapshot(_ snap: Snapshot) throws(DiskStorageError) {
        let path = try writeSnapshotFile(snap)
        do { try mem.applySnapshot(withoutData(snap, file: path)) } catch { throw .invalidArgument("apply snapshot: \(error)") }
        WALRecord.snapshotMarker(index: snap.metadata.index, term: snap.metadata.term).frame(into: &buffer)
    }

    /// Saves an application snapshot at `index` (≤ last index) durably. Call `compact`
    /// afterwards to drop the log before it.
    @discardableResult
    public func createSnapshot(index: UInt64, configuration: Configuration, data: [UInt8]) throws(DiskStorageError) -> Snapshot {
        let term: UInt64
        do { term = try mem.term(index) } catch { throw .invalidArgument("snapshot at \(index): \(error)") }
        let snap = Snapshot(metadata: SnapshotMetadata(index: index, term: term, configuration: configuration), data: data)
        if index <= mem.currentSnapshot.metadata.index { throw .invalidArgument("snapshot \(index) is out of date") }
        // The snapshot must not reference entries that are not durable yet.
        try sync()
        let path = try writeSnapshotFile(snap)
        do { _ = try mem.createSnapshot(index: index, configuration: configuration, data: withoutData(snap, file: path).data) } catch {
            throw .invalidArgument("create snapshot: \(error)")
        }
        return snap
    }

    @discardableResult
    func writeSnapshotFile(_ snap: Snapshot) throws(DiskStorageError) -> String {
        try snapshotFileWriter.write(snap)
    }

    /// Writes snapshot files (durably, then prunes old ones) on any thread: an application
    /// encodes and writes a big snapshot off its event loop, then calls `adoptSnapshot`.
    public var snapshotFileWriter: SnapshotFileWriter {
        SnapshotFileWriter(snapDir: snapDir, keep: max(1, options.keepSnapshots))
    }

    /// Records a snapshot whose file `snapshotFileWriter` already wrote durably (at `path`);
    /// the entries it covers were applied, hence already durable in the WAL. Call `compact`
    /// afterwards.
    public func adoptSnapshot(_ snap: Snapshot, file path: String) throws(DiskStorageError) {
        if snap.metadata.index <= mem.currentSnapshot.metadata.index { throw .invalidArgument("snapshot \(snap.metadata.index) is out of date") }
        let previous = snapshotFile
        do {
            _ = try mem.createSnapshot(index: snap.metadata.index, configuration: snap.metadata.configuration,
                                       data: withoutData(snap, file: path).data)
        } catch {
            snapshotFile = previous
            throw .invalidArgument("adopt snapshot \(snap.metadata.index): \(error)")
        }
    }

    /// Drops the in-memory data of entries up to `index` (see `MemoryStorage.releasePayloads`);
    /// the WAL keeps them.
    public func releasePayloads(through index: UInt64) { mem.releasePayloads(through: index) }

    /// Drops entries up to `index` (which a snapshot must cover) from memory and
    /// deletes WAL segments that hold nothing newer.
    public func compact(upTo index: UInt64) throws(DiskStorageError) {
        if index > mem.currentSnapshot.metadata.index {
            throw .invalidArgument("compact to \(index) beyond snapshot \(mem.currentSnapshot.metadata.index)")
        }
        if index >= (try! mem.firstIndex()) {
            do { try mem.compact(upTo: index) } catch { throw .invalidArgument("compact: \(error)") }
        }
        var obsolete: [String] = []
        while segments.count > 1 && segments[0].maxIndex <= index {
            obsolete.append(walDir + "/" + segments[0].name)
            segments.removeFirst()
        }
        if obsolete.isEmpty { return }
        if let removeFiles = removeObsoleteSegments {
            removeFiles(obsolete)
        } else {
            for path in obsolete { try FileIO.remove(path) }
        }
    }

    /// Deletes WAL segments a compaction made obsolete, e.g. on another thread (unlinking
    /// big files can take tens of ms). Recovery skips entries a snapshot covers, so a
    /// segment that outlives a crash is harmless. Nil: deleted at once.
    public var removeObsoleteSegments: (@Sendable ([String]) -> Void)?

    /// Deletes files (for `removeObsoleteSegments`).
    public static func removeFiles(_ paths: [String]) throws(DiskStorageError) {
        for path in paths { try FileIO.remove(path) }
    }

    /// See `MemoryStorage.releaseDropped`.
    public var releaseCompactedEntries: (@Sendable ([Entry]) -> Void)? {
        get { mem.releaseDropped }
        set { mem.releaseDropped = newValue }
    }

    /// Number of WAL segment files currently on disk.
    public var segmentCount: Int { segments.count }

    func rotate() throws(DiskStorageError) {
        if fd >= 0 { close(fd) }
        let seq = (segments.last?.seq ?? 0) + 1
        let first = (try! mem.lastIndex()) + 1
        let name = SegmentFormat.fileName(seq: seq, firstIndex: first)
        let path = walDir + "/" + name
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if fd < 0 { throw FileIO.error("open", path) }
        let header = SegmentFormat.header(seq: seq)
        try FileIO.writeAll(fd, header, path)
        try FileIO.fsyncFD(fd, path)
        try FileIO.fsyncDir(walDir)
        currentSize = header.count
        segments.append(Segment(seq: seq, firstIndex: first, name: name, maxIndex: 0))
    }
}

/// A WAL fsync handed out by `DiskStorage.syncBegin()`: run it exactly once, on any thread.
public struct PendingWALSync: Sendable {
    let fd: Int32
    let path: String

    public func run() throws(DiskStorageError) {
        defer { close(fd) }
        try FileIO.fsyncFD(fd, path)
    }
}

/// See `DiskStorage.snapshotFileWriter`.
public struct SnapshotFileWriter: Sendable {
    let snapDir: String
    let keep: Int

    /// Returns the file's path.
    @discardableResult
    public func write(_ snap: Snapshot) throws(DiskStorageError) -> String {
        try write(snap.metadata, dataParts: [snap.data])
    }

    /// Writes a snapshot whose data is the concatenation of `dataParts`, without joining
    /// them. Returns the file's path.
    @discardableResult
    public func write(_ metadata: SnapshotMetadata, dataParts: [[UInt8]]) throws(DiskStorageError) -> String {
        let name = SnapshotFile.fileName(metadata)
        try FileIO.writeAtomically(snapDir + "/" + name, dir: snapDir, parts: SnapshotFile.encodedParts(metadata, data: dataParts))
        try prune()
        return snapDir + "/" + name
    }

    /// Starts a snapshot file whose data is appended piece by piece (see `SnapshotFileStream`).
    /// `direct: false` never tries O_DIRECT (tests of the buffered path).
    public func stream(_ metadata: SnapshotMetadata, direct: Bool = true) throws(DiskStorageError) -> SnapshotFileStream {
        try SnapshotFileStream(self, metadata, direct: direct)
    }

    /// Removes all but the newest `keep` snapshot files.
    func prune() throws(DiskStorageError) {
        let all = try FileIO.list(snapDir).filter { SnapshotFile.parseName($0) != nil }
            .sorted { SnapshotFile.parseName($0)! < SnapshotFile.parseName($1)! }
        for old in all.dropLast(keep) { try FileIO.remove(snapDir + "/" + old) }
    }
}

/// A snapshot file written while its data is still being produced, so no buffer as large
/// as the state is ever held (the same bytes `SnapshotFileWriter.write` gives): `append`
/// copies each piece into a staging buffer after room left for the header and writes it
/// out a MiB at a time; `finish` writes the rest and the header (data length, crc) in
/// front, fsyncs and renames the file into place. One thread at a time; a failed `append`
/// is reported by `finish`.
///
/// Where the file system allows it the file is written with O_DIRECT, in aligned blocks
/// (the last one padded, then the file truncated to its length): a snapshot is written
/// once and read only at a restart, and copying it into the page cache was a quarter of
/// the server's CPU samples while snapshots of a ~1.5 GB store ran back to back (perf:
/// `copy_folio_from_iter_atomic` on the snapshot thread). It also leaves the page cache
/// to the WAL. Elsewhere writes are buffered, and writeback is started every few MiB so
/// the final fsync does not flush the whole file at once (the WAL's fsyncs would wait
/// behind it) and the file does not fill the page cache.
public final class SnapshotFileStream: @unchecked Sendable {
    private let writer: SnapshotFileWriter
    private let metadata: SnapshotMetadata
    private let path: String
    private let tmp: String
    private var fd: Int32
    private let headerSize: Int
    private var dataLength: UInt64 = 0
    private var dataCRC: UInt32 = 0
    private var failure: DiskStorageError?
    /// Written with O_DIRECT (cleared if the file system refuses a write).
    public private(set) var direct: Bool
    /// File bytes from `stageOffset` on, not yet written; aligned for O_DIRECT.
    private let stage: UnsafeMutableRawPointer
    private var staged = 0
    private var stageOffset = 0
    /// The file's first block as first written (header placeholder and data), for
    /// `finish` to put the header into.
    private var firstBlock: [UInt8] = []
    /// Buffered writes not yet handed to writeback.
    private var unflushed = 0
    public var bytesWritten: UInt64 { dataLength }
    /// At most this many bytes per second go to the file (0: no limit); may be changed
    /// from any thread while the file is written. After each write the writer sleeps
    /// until the bytes so far fit the pace. A snapshot written at the disk's full speed
    /// (GBs for a big tree) makes the WAL's fsyncs meanwhile wait behind its writes.
    public var maxBytesPerSecond: Int {
        get { pace.load(ordering: .relaxed) }
        set { pace.store(newValue, ordering: .relaxed) }
    }
    private let pace = Atomic<Int>(0)
    /// When the bytes written so far are due at the pace (uptime ns).
    private var pacedUntil: UInt64 = 0
    static let writebackEvery = 8 << 20
    static let stageBytes = 256 << 10
    static let block = 4096
    static let readBackWindow = 8 << 20

    init(_ writer: SnapshotFileWriter, _ metadata: SnapshotMetadata, direct wantDirect: Bool = true) throws(DiskStorageError) {
        self.writer = writer
        self.metadata = metadata
        path = writer.snapDir + "/" + SnapshotFile.fileName(metadata)
        tmp = path + ".tmp"
        headerSize = SnapshotFile.header(metadata, dataLength: 0, dataCRC: 0).count
        let flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC
        let directFlag = wantDirect ? tusk_o_direct() : 0
        var fd: Int32 = directFlag != 0 ? open(tmp, flags | directFlag, 0o644) : -1
        direct = fd >= 0
        if fd < 0 { fd = open(tmp, flags, 0o644) }  // EINVAL: no O_DIRECT on this file system
        if fd < 0 { throw FileIO.error("open", tmp) }
        self.fd = fd
        stage = UnsafeMutableRawPointer.allocate(byteCount: Self.stageBytes, alignment: Self.block)
        precondition(headerSize < Self.block)
        stage.initializeMemory(as: UInt8.self, repeating: 0, count: headerSize)
        staged = headerSize
    }

    deinit {
        if fd >= 0 { close(fd); unlink(tmp) }
        stage.deallocate()
    }

    public func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    public func append(_ src: UnsafeRawBufferPointer) {
        guard failure == nil, fd >= 0, src.count > 0 else { return }
        dataCRC = FileIO.crc(src, initial: dataCRC)
        dataLength += UInt64(src.count)
        var done = 0
        while done < src.count, failure == nil {
            let n = min(Self.stageBytes - staged, src.count - done)
            (stage + staged).copyMemory(from: src.baseAddress! + done, byteCount: n)
            staged += n
            done += n
            if staged == Self.stageBytes { writeStage(count: staged) }
        }
    }

    /// Writes the first `count` staged bytes (a multiple of the block size, or the padded
    /// tail) at `stageOffset` and empties the stage.
    private func writeStage(count: Int) {
        if stageOffset == 0 { firstBlock = Array(UnsafeRawBufferPointer(start: stage, count: min(count, Self.block))) }
        do {
            try write(UnsafeRawBufferPointer(start: stage, count: count), at: stageOffset)
        } catch {
            failure = error
            return
        }
        stageOffset += count
        staged = 0
        let rate = maxBytesPerSecond
        let now = DispatchTime.now().uptimeNanoseconds
        if rate > 0 {
            pacedUntil = max(pacedUntil, now) + UInt64(Double(count) / Double(rate) * 1e9)
            if pacedUntil > now { usleep(UInt32(min(pacedUntil - now, 1_000_000_000) / 1000)) }
        } else {
            pacedUntil = now
        }
        #if os(Linux)
        if !direct {
            unflushed += count
            if unflushed >= Self.writebackEvery {
                // Starts writing back what is written so far (without waiting for it), and
                // lets the page cache drop those pages once they are clean.
                _ = posix_fadvise(fd, off_t(stageOffset - unflushed), off_t(unflushed), POSIX_FADV_DONTNEED)
                unflushed = 0
            }
        }
        #endif
    }

    private func write(_ buf: UnsafeRawBufferPointer, at offset: Int) throws(DiskStorageError) {
        var done = 0
        while done < buf.count {
            let n = pwrite(fd, buf.baseAddress! + done, buf.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EINVAL && direct {
                    // The file system took the open but not the write: carry on buffered.
                    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~tusk_o_direct())
                    direct = false
                    continue
                }
                throw FileIO.error("write", tmp)
            }
            done += n
        }
    }

    /// Makes the file durable under its final name; returns its path.
    public func finish() throws(DiskStorageError) -> String {
        if let failure { abort(); throw failure }
        guard fd >= 0 else { throw .invalidArgument("snapshot stream \(tmp) already ended") }
        do throws(DiskStorageError) {
            let length = stageOffset + staged
            let header = SnapshotFile.header(metadata, dataLength: dataLength, dataCRC: dataCRC)
            if stageOffset == 0 {
                // The whole file is still staged: the header goes in front of it here.
                header.withUnsafeBytes { stage.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            }
            if staged > 0 {
                let padded = (staged + Self.block - 1) / Self.block * Self.block
                (stage + staged).initializeMemory(as: UInt8.self, repeating: 0, count: padded - staged)
                writeStage(count: padded)
                if let failure { throw failure }
            }
            if firstBlock.count == Self.block && header != Array(firstBlock.prefix(header.count)) {
                // Rewrites the first block with the header in front (through the aligned stage).
                firstBlock.replaceSubrange(0..<header.count, with: header)
                firstBlock.withUnsafeBytes { stage.copyMemory(from: $0.baseAddress!, byteCount: Self.block) }
                try write(UnsafeRawBufferPointer(start: stage, count: Self.block), at: 0)
            }
            if ftruncate(fd, off_t(length)) != 0 { throw FileIO.error("truncate", tmp) }
            try FileIO.fsyncFD(fd, tmp)
        } catch {
            abort()
            throw error
        }
        close(fd)
        fd = -1
        if rename(tmp, path) != 0 { throw FileIO.error("rename", tmp) }
        try FileIO.fsyncDir(writer.snapDir)
        try writer.prune()
        return path
    }

    /// Has the device read the snapshot file at `path` back into the page cache (no copy
    /// by this CPU; nothing to do for pages already there), where a restart finds it.
    /// O_DIRECT writes leave it only on disk. Errors are ignored: this is a hint.
    public static func readBack(_ path: String) {
        #if os(Linux)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return }
        // One call reads at most the readahead window (8 MiB here): ask per window.
        var offset = 0
        while offset < Int(st.st_size) {
            _ = posix_fadvise(fd, off_t(offset), off_t(readBackWindow), POSIX_FADV_WILLNEED)
            offset += readBackWindow
        }
        #endif
    }

    /// Drops the unfinished file.
    public func abort() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(tmp)
    }
}
