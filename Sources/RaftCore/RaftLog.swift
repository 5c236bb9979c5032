/// Entries not yet handed to storage (plus an incoming snapshot), indexed from `offset`.
struct Unstable {
    var snapshot: Snapshot?
    var entries: [Entry] = []
    var offset: UInt64

    func maybeFirstIndex() -> UInt64? { snapshot.map { $0.metadata.index + 1 } }

    func maybeLastIndex() -> UInt64? {
        if !entries.isEmpty { return offset + UInt64(entries.count) - 1 }
        return snapshot?.metadata.index
    }

    func maybeTerm(_ i: UInt64) -> UInt64? {
        if i < offset {
            if let s = snapshot, s.metadata.index == i { return s.metadata.term }
            return nil
        }
        guard let last = maybeLastIndex(), i <= last else { return nil }
        if entries.isEmpty { return nil }
        return entries[Int(i - offset)].term
    }

    mutating func stableTo(index i: UInt64, term t: UInt64) {
        guard let gt = maybeTerm(i), gt == t, i >= offset else { return }
        entries.removeFirst(Int(i + 1 - offset))
        offset = i + 1
    }

    mutating func stableSnapTo(_ i: UInt64) {
        if let s = snapshot, s.metadata.index == i { snapshot = nil }
    }

    mutating func restore(_ s: Snapshot) {
        offset = s.metadata.index + 1
        entries = []
        snapshot = s
    }

    mutating func truncateAndAppend(_ ents: [Entry]) {
        let after = ents[0].index
        if after == offset + UInt64(entries.count) {
            entries.append(contentsOf: ents)
        } else if after <= offset {
            offset = after
            entries = ents
        } else {
            entries.removeSubrange(Int(after - offset)...)
            entries.append(contentsOf: ents)
        }
    }

    func slice(_ lo: UInt64, _ hi: UInt64) -> ArraySlice<Entry> {
        entries[Int(lo - offset)..<Int(hi - offset)]
    }
}

/// The node's view of the log: stable entries in `storage` followed by `unstable`.
struct RaftLog {
    let storage: any LogStorage
    var unstable: Unstable
    var committed: UInt64
    var applied: UInt64

    init(storage: any LogStorage) {
        self.storage = storage
        let first = Self.must { () throws(StorageError) in try storage.firstIndex() }
        let last = Self.must { () throws(StorageError) in try storage.lastIndex() }
        unstable = Unstable(offset: last + 1)
        committed = first - 1
        applied = first - 1
    }

    /// Storage failures other than compaction/unavailability are fatal: Raft cannot
    /// continue with a log it cannot read.
    static func must<T>(_ f: () throws(StorageError) -> T) -> T {
        do { return try f() } catch { fatalError("raft: storage failure: \(error)") }
    }

    func firstIndex() -> UInt64 {
        if let i = unstable.maybeFirstIndex() { return i }
        return Self.must { () throws(StorageError) in try storage.firstIndex() }
    }

    func lastIndex() -> UInt64 {
        if let i = unstable.maybeLastIndex() { return i }
        return Self.must { () throws(StorageError) in try storage.lastIndex() }
    }

    func lastTerm() -> UInt64 { (try? term(lastIndex())) ?? 0 }

    /// Term of entry `i`: 0 above the last index, `.compacted` below the first retained.
    func term(_ i: UInt64) throws(StorageError) -> UInt64 {
        let dummy = firstIndex() - 1
        if i < dummy { throw .compacted }
        if i > lastIndex() { return 0 }
        if let t = unstable.maybeTerm(i) { return t }
        do {
            return try storage.term(i)
        } catch {
            if error == .compacted || error == .unavailable { throw error }
            fatalError("raft: storage failure: \(error)")
        }
    }

    func zeroTermOnCompacted(_ i: UInt64) -> UInt64 { (try? term(i)) ?? 0 }

    func matchTerm(_ i: UInt64, _ t: UInt64) -> Bool {
        guard let x = try? term(i) else { return false }
        return x == t
    }

    /// Raft §5.4.1: is a log ending at (`lasti`, `t`) at least as up-to-date as ours?
    func isUpToDate(lastIndex lasti: UInt64, term t: UInt64) -> Bool {
        let lt = lastTerm()
        return t > lt || (t == lt && lasti >= lastIndex())
    }

    /// First index in `ents` that is new or conflicts with the log, or 0 if none.
    func findConflict(_ ents: [Entry]) -> UInt64 {
        for e in ents where !matchTerm(e.index, e.term) {
            return e.index
        }
        return 0
    }

    /// The largest index ≤ `index` whose term is ≤ `t` (fast back-off on rejection).
    func findConflictByTerm(index: UInt64, term t: UInt64) -> (index: UInt64, term: UInt64) {
        var i = index
        while true {
            guard let lt = try? term(i) else { return (i, 0) }
            if lt <= t || i == 0 { return (i, lt) }
            i -= 1
        }
    }

    /// Follower append. Returns (lastNewIndex, firstWrittenIndex) or nil when the
    /// previous entry does not match. `firstWrittenIndex` is 0 when nothing was written.
    mutating func maybeAppend(index: UInt64, logTerm: UInt64, committed c: UInt64, entries ents: [Entry])
        -> (last: UInt64, written: UInt64)?
    {
        guard matchTerm(index, logTerm) else { return nil }
        let lastNew = index + UInt64(ents.count)
        let ci = findConflict(ents)
        if ci != 0 {
            precondition(ci > committed, "raft: entry \(ci) conflicts with committed entry (committed \(committed))")
            append(Array(ents[Int(ci - index - 1)...]))
        }
        commitTo(min(c, lastNew))
        return (lastNew, ci)
    }

    @discardableResult
    mutating func append(_ ents: [Entry]) -> UInt64 {
        guard let first = ents.first else { return lastIndex() }
        precondition(first.index > committed, "raft: append at \(first.index) below committed \(committed)")
        unstable.truncateAndAppend(ents)
        return lastIndex()
    }

    mutating func commitTo(_ c: UInt64) {
        if c > committed {
            precondition(c <= lastIndex(), "raft: commit \(c) out of range [last \(lastIndex())]")
            committed = c
        }
    }

    /// Leader commit: only for an entry of the leader's `term` (Raft §5.4.2), unless the
    /// testing fault `commitPriorTermByCount` is on.
    mutating func maybeCommit(_ maxIndex: UInt64, term t: UInt64, ignoreTerm: Bool = false) -> Bool {
        if maxIndex > committed && (ignoreTerm || zeroTermOnCompacted(maxIndex) == t) {
            commitTo(maxIndex)
            return true
        }
        return false
    }

    mutating func appliedTo(_ i: UInt64) {
        if i == 0 { return }
        precondition(i <= committed, "raft: applied \(i) beyond committed \(committed)")
        if i > applied { applied = i }
    }

    func unstableEntries() -> [Entry] { unstable.entries }

    func hasPendingSnapshot() -> Bool { unstable.snapshot != nil }

    /// Committed entries not yet applied, at most `maxBytes` (at least one).
    func nextCommittedEntries(maxBytes: UInt64) -> [Entry] {
        if hasPendingSnapshot() { return [] }
        let off = max(applied + 1, firstIndex())
        if committed + 1 > off {
            return (try? slice(off, committed + 1, maxBytes: maxBytes)) ?? []
        }
        return []
    }

    func hasNextCommittedEntries() -> Bool {
        if hasPendingSnapshot() { return false }
        return committed + 1 > max(applied + 1, firstIndex())
    }

    func snapshot() throws(StorageError) -> Snapshot {
        if let s = unstable.snapshot { return s }
        return try storage.snapshot()
    }

    /// Entries from `i` to the end, at most `maxBytes`.
    func entries(from i: UInt64, maxBytes: UInt64) throws(StorageError) -> [Entry] {
        if i > lastIndex() { return [] }
        return try slice(i, lastIndex() + 1, maxBytes: maxBytes)
    }

    /// Entries in `[lo, hi)`: the stable part from storage, the rest from `unstable`.
    func slice(_ lo: UInt64, _ hi: UInt64, maxBytes: UInt64) throws(StorageError) -> [Entry] {
        if lo == hi { return [] }
        if lo < firstIndex() { throw .compacted }
        precondition(hi <= lastIndex() + 1, "raft: slice [\(lo),\(hi)) out of bound \(lastIndex())")
        var ents: [Entry] = []
        if lo < unstable.offset {
            let stored = try storage.entries(lo, min(hi, unstable.offset), maxBytes: maxBytes)
            if UInt64(stored.count) < min(hi, unstable.offset) - lo { return stored }  // hit the size limit
            ents = stored
        }
        if hi > unstable.offset {
            let u = unstable.slice(max(lo, unstable.offset), hi)
            if ents.isEmpty { ents = Array(u) } else { ents.append(contentsOf: u) }
        }
        return limitSize(ents, maxBytes)
    }

    mutating func stableTo(index: UInt64, term: UInt64) { unstable.stableTo(index: index, term: term) }
    mutating func stableSnapTo(_ i: UInt64) { unstable.stableSnapTo(i) }

    mutating func restore(_ s: Snapshot) {
        committed = s.metadata.index
        unstable.restore(s)
    }
}
