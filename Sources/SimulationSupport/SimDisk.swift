import RaftCore

/// A simulated disk. `live` is what the node reads (the page cache: written but
/// maybe not yet synced); `durable` is what survives a crash. A write becomes
/// durable only when the driver's sync for it completes.
public final class SimDisk {
    public private(set) var live = MemoryStorage()
    public private(set) var durable = MemoryStorage()
    /// Writes since the last sync, replayed onto `durable` by `sync()`.
    private var pending: [Write] = []
    /// Ticks a sync takes (0 = immediate). Changed by the simulator to model slow disks.
    public var syncLatency = 0

    enum Write {
        case snapshot(Snapshot)
        case entries([Entry])
        case hardState(HardState)
    }

    public init() {}

    /// Writes one `Ready`'s persistent state (not yet durable).
    public func write(snapshot: Snapshot?, entries: [Entry], hardState: HardState?) {
        if let s = snapshot {
            try! live.applySnapshot(s)
            pending.append(.snapshot(s))
        }
        if !entries.isEmpty {
            try! live.append(entries)
            pending.append(.entries(entries))
        }
        if let hs = hardState {
            live.setHardState(hs)
            pending.append(.hardState(hs))
        }
    }

    /// Makes every write so far durable (one fsync covers them all).
    public func sync() {
        for w in pending {
            switch w {
            case .snapshot(let s): try! durable.applySnapshot(s)
            case .entries(let e): try! durable.append(e)
            case .hardState(let hs): durable.setHardState(hs)
            }
        }
        pending.removeAll()
    }

    /// Application snapshot + compaction: written durably at once (the application
    /// fsyncs its snapshot before compacting).
    public func createSnapshot(index: UInt64, configuration: Configuration, data: [UInt8], compactTo: UInt64) {
        for s in [live, durable] {
            if index > s.currentSnapshot.metadata.index && index <= (try! s.lastIndex()) {
                _ = try! s.createSnapshot(index: index, configuration: configuration, data: data)
                if compactTo > (try! s.firstIndex()) { try! s.compact(upTo: compactTo) }
            }
        }
    }

    /// A crash: everything not synced is lost.
    public func crash() {
        pending.removeAll()
        live = Self.clone(durable)
    }

    static func clone(_ s: MemoryStorage) -> MemoryStorage {
        let c = MemoryStorage()
        if !s.currentSnapshot.isEmpty { try! c.applySnapshot(s.currentSnapshot) }
        let first = try! s.firstIndex()
        let last = try! s.lastIndex()
        if last >= first { try! c.append(try! s.entries(first, last + 1, maxBytes: UInt64.max)) }
        c.setHardState(s.hardState)
        return c
    }
}
