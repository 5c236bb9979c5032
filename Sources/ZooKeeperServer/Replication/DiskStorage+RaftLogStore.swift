import RaftCore
import RaftStorage

/// The durable log: RaftStorage's segmented WAL + snapshot files.
extension DiskStorage: RaftLogStore {
    func persist(entries: [Entry], hardState: HardState?, snapshot: Snapshot?, sync: Bool) throws {
        if let snapshot { try applySnapshot(snapshot) }
        if !entries.isEmpty { try append(entries) }
        if let hardState { setHardState(hardState) }
        if sync { try self.sync() }
    }

    func persistDeferringSync(entries: [Entry], hardState: HardState?, snapshot: Snapshot?, sync: Bool) throws
        -> (@Sendable () throws -> Void)? {
        if let snapshot { try applySnapshot(snapshot) }
        if !entries.isEmpty { try append(entries) }
        if let hardState { setHardState(hardState) }
        guard sync, let pending = try syncBegin() else { return nil }
        return { try pending.run() }
    }

    func compactLog(upTo index: UInt64) throws {
        try compact(upTo: index)
    }

    func recordSnapshot(index: UInt64, configuration: Configuration, data: [UInt8]) throws {
        try createSnapshot(index: index, configuration: configuration, data: data)
    }

    func snapshotStream(_ metadata: SnapshotMetadata) throws -> SnapshotFileStream? {
        try snapshotFileWriter.stream(metadata)
    }

    func adoptWrittenSnapshot(_ metadata: SnapshotMetadata, file: String) throws {
        try adoptSnapshot(Snapshot(metadata: metadata, data: []), file: file)
    }
}
