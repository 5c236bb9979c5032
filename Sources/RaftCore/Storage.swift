/// Errors a `LogStorage` reports to Raft.
public enum StorageError: Error, Sendable, Equatable {
    /// The requested index is older than the first retained entry (compacted into the snapshot).
    case compacted
    /// The requested index is newer than the last entry.
    case unavailable
    /// A snapshot older than the current one was offered.
    case snapshotOutOfDate
    /// The snapshot cannot be produced right now; Raft retries later.
    case snapshotTemporarilyUnavailable
    /// An I/O failure in a durable implementation. Raft cannot continue after this.
    case io(String)
}

/// The log as Raft reads it. Raft never writes through this protocol: the driver
/// persists `Ready.entries`, `Ready.hardState` and `Ready.snapshot` into the
/// implementation, then calls `advance`. Modelled on etcd's `Storage`.
///
/// Indexes: the storage holds a snapshot at `firstIndex() - 1` (possibly the empty
/// snapshot at 0) followed by entries `firstIndex()...lastIndex()`.
public protocol LogStorage: AnyObject {
    /// The persisted hard state and the configuration of the latest snapshot.
    func initialState() throws(StorageError) -> (HardState, Configuration)
    /// Entries in `[lo, hi)`, at least one if any, at most `maxBytes` in total otherwise.
    func entries(_ lo: UInt64, _ hi: UInt64, maxBytes: UInt64) throws(StorageError) -> [Entry]
    /// Term of entry `i`; valid for `firstIndex() - 1 ... lastIndex()`.
    func term(_ i: UInt64) throws(StorageError) -> UInt64
    func firstIndex() throws(StorageError) -> UInt64
    func lastIndex() throws(StorageError) -> UInt64
    /// The most recent snapshot.
    func snapshot() throws(StorageError) -> Snapshot
}

/// Limits a list of entries to `maxBytes`, always keeping at least one entry.
func limitSize(_ ents: [Entry], _ maxBytes: UInt64) -> [Entry] {
    if ents.isEmpty { return ents }
    var size = ents[0].byteSize
    var n = 1
    while n < ents.count {
        size += ents[n].byteSize
        if size > maxBytes { break }
        n += 1
    }
    return n == ents.count ? ents : Array(ents[0..<n])
}

/// In-memory `LogStorage`. Not thread-safe: use it from the driver that owns the node.
/// `entries[0]` is a dummy entry carrying the snapshot's index and term.
public final class MemoryStorage: LogStorage {
    public private(set) var hardState = HardState()
    public private(set) var currentSnapshot = Snapshot()
    private var ents: [Entry] = [Entry(term: 0, index: 0)]

    public init() {}

    public func initialState() throws(StorageError) -> (HardState, Configuration) {
        (hardState, currentSnapshot.metadata.configuration)
    }

    public func setHardState(_ hs: HardState) { hardState = hs }

    private var offset: UInt64 { ents[0].index }

    public func entries(_ lo: UInt64, _ hi: UInt64, maxBytes: UInt64) throws(StorageError) -> [Entry] {
        if lo <= offset || lo <= payloadFloor { throw .compacted }
        if hi > lastIndexValue + 1 { throw .unavailable }
        if ents.count == 1 { throw .unavailable }
        let slice = Array(ents[Int(lo - offset)..<Int(hi - offset)])
        return limitSize(slice, maxBytes)
    }

    public func term(_ i: UInt64) throws(StorageError) -> UInt64 {
        if i < offset { throw .compacted }
        if Int(i - offset) >= ents.count { throw .unavailable }
        return ents[Int(i - offset)].term
    }

    private var lastIndexValue: UInt64 { offset + UInt64(ents.count) - 1 }

    public func firstIndex() throws(StorageError) -> UInt64 { offset + 1 }
    public func lastIndex() throws(StorageError) -> UInt64 { lastIndexValue }
    public func snapshot() throws(StorageError) -> Snapshot { currentSnapshot }

    /// Installs a snapshot received from the leader, discarding the whole log.
    public func applySnapshot(_ snap: Snapshot) throws(StorageError) {
        if currentSnapshot.metadata.index >= snap.metadata.index { throw .snapshotOutOfDate }
        currentSnapshot = snap
        ents = [Entry(term: snap.metadata.term, index: snap.metadata.index)]
        payloadFloor = 0
    }

    /// Entries up to this index kept only their term and index (`releasePayloads`).
    public private(set) var payloadFloor: UInt64 = 0

    /// Drops the data of the entries up to `index` (applied, and needed by no follower: a
    /// single-node log), keeping their terms for snapshots and log matching. `entries`
    /// then reports them compacted, as if they were.
    public func releasePayloads(through index: UInt64) {
        let end = min(index, lastIndexValue)
        let from = max(payloadFloor, offset) + 1
        guard end >= from else { return }
        for i in Int(from - offset)...Int(end - offset) { ents[i].data = [] }
        payloadFloor = end
    }

    /// Records a snapshot of the application at `index` (which must be applied) so the
    /// log before it can be compacted and lagging followers can be caught up.
    @discardableResult
    public func createSnapshot(index: UInt64, configuration: Configuration, data: [UInt8]) throws(StorageError) -> Snapshot {
        if index <= currentSnapshot.metadata.index { throw .snapshotOutOfDate }
        if index > lastIndexValue { throw .unavailable }
        let t = ents[Int(index - offset)].term
        currentSnapshot = Snapshot(metadata: SnapshotMetadata(index: index, term: t, configuration: configuration), data: data)
        return currentSnapshot
    }

    /// Discards entries up to and including `index` (they must be in a snapshot).
    public func compact(upTo index: UInt64) throws(StorageError) {
        if index <= offset { throw .compacted }
        if index > lastIndexValue { throw .unavailable }
        let i = Int(index - offset)
        var kept = [Entry(term: ents[i].term, index: ents[i].index)]
        kept.append(contentsOf: ents[(i + 1)...])
        let dropped = ents
        ents = kept
        releaseDropped?(dropped)
    }

    /// Receives the entries array a compaction replaced, e.g. to free a million entries
    /// on another thread instead of the caller's.
    public var releaseDropped: (@Sendable ([Entry]) -> Void)?

    /// Appends entries, replacing any conflicting suffix. Entries must be contiguous.
    public func append(_ newEntries: [Entry]) throws(StorageError) {
        guard let firstNew = newEntries.first else { return }
        let first = offset + 1
        let last = newEntries.last!.index
        if last < first { return }  // all compacted
        var toAdd = newEntries[...]
        if first > firstNew.index { toAdd = toAdd.dropFirst(Int(first - firstNew.index)) }
        let start = toAdd.first!.index
        let off = Int(start - offset)
        if off > ents.count { throw .unavailable }
        ents.removeSubrange(off...)
        ents.append(contentsOf: toAdd)
    }
}
