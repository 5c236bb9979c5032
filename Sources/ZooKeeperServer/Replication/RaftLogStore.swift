import RaftCore
import RaftStorage

/// The write side of a Raft log: what the driver persists from each `Ready` before it sends
/// messages or applies entries. A durable implementation fsyncs when `sync` is true
/// (group commit: one sync covers everything saved since the last).
protocol RaftLogStore: LogStorage {
    func persist(entries: [Entry], hardState: HardState?, snapshot: Snapshot?, sync: Bool) throws
    /// Like `persist`, but may leave the final fsync to the caller, who runs the returned
    /// closure (on any thread) before relying on durability. Nil: everything is done.
    func persistDeferringSync(entries: [Entry], hardState: HardState?, snapshot: Snapshot?, sync: Bool) throws
        -> (@Sendable () throws -> Void)?
    /// Drops entries up to `index`, which a saved snapshot covers.
    func compactLog(upTo index: UInt64) throws
    /// Records the application's state at `index` (already applied) as the latest snapshot.
    func recordSnapshot(index: UInt64, configuration: Configuration, data: [UInt8]) throws
    /// A snapshot file to fill piece by piece on any thread while the state is walked (nil:
    /// no files, `recordSnapshot` on the loop does everything); once it is finished,
    /// `adoptWrittenSnapshot` records it, on the loop.
    func snapshotStream(_ metadata: SnapshotMetadata) throws -> SnapshotFileStream?
    /// Records the snapshot the writer put in `file`.
    func adoptWrittenSnapshot(_ metadata: SnapshotMetadata, file: String) throws
    /// Drops the in-memory data of entries up to `index`, which no one will read again
    /// (applied, on a node without followers); reading them reports them compacted.
    func releasePayloads(through index: UInt64)
}

extension RaftLogStore {
    func snapshotStream(_ metadata: SnapshotMetadata) throws -> SnapshotFileStream? { nil }
    func adoptWrittenSnapshot(_ metadata: SnapshotMetadata, file: String) throws {
        throw RaftLogStoreError.noSnapshotFiles
    }

    func persistDeferringSync(entries: [Entry], hardState: HardState?, snapshot: Snapshot?, sync: Bool) throws
        -> (@Sendable () throws -> Void)? {
        try persist(entries: entries, hardState: hardState, snapshot: snapshot, sync: sync)
        return nil
    }
}

/// An in-memory log (tests, and `forceSync=no` experiments). Loses everything on restart.
final class InMemoryRaftLog: RaftLogStore {
    let storage = MemoryStorage()

    func persist(entries: [Entry], hardState: HardState?, snapshot: Snapshot?, sync: Bool) throws {
        if let snapshot { try storage.applySnapshot(snapshot) }
        if !entries.isEmpty { try storage.append(entries) }
        if let hardState { storage.setHardState(hardState) }
    }

    func compactLog(upTo index: UInt64) throws { try storage.compact(upTo: index) }
    func releasePayloads(through index: UInt64) { storage.releasePayloads(through: index) }
    func recordSnapshot(index: UInt64, configuration: Configuration, data: [UInt8]) throws {
        try storage.createSnapshot(index: index, configuration: configuration, data: data)
    }

    func initialState() throws(StorageError) -> (HardState, Configuration) { try storage.initialState() }
    func entries(_ lo: UInt64, _ hi: UInt64, maxBytes: UInt64) throws(StorageError) -> [Entry] {
        try storage.entries(lo, hi, maxBytes: maxBytes)
    }
    func term(_ i: UInt64) throws(StorageError) -> UInt64 { try storage.term(i) }
    func firstIndex() throws(StorageError) -> UInt64 { try storage.firstIndex() }
    func lastIndex() throws(StorageError) -> UInt64 { try storage.lastIndex() }
    func snapshot() throws(StorageError) -> Snapshot { try storage.snapshot() }
}

enum RaftLogStoreError: Error {
    /// `adoptWrittenSnapshot` on a store without `snapshotStream`.
    case noSnapshotFiles
}
