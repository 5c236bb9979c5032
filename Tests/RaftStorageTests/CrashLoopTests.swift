#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import RaftCore
@testable import RaftStorage

/// A seeded crash loop: append, truncate-and-rewrite, sync, snapshot, compact and
/// "crash" (drop the storage, sometimes tearing the unsynced tail of the file) at
/// random; after every restart the log must be exactly what was last synced.
@Suite("Durable storage crash loop")
struct CrashLoopTests {
    struct Rng {
        var s: UInt64
        mutating func next(_ n: Int) -> Int {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
    }

    @Test("after every crash the recovered log equals the last synced log", arguments: Array(1...8) as [UInt64])
    func crashLoop(seed: UInt64) throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var rng = Rng(s: seed)
        var opts = DiskStorage.Options()
        opts.segmentBytes = 400
        var synced: [Entry] = []       // the model: what must survive
        var syncedFirst: UInt64 = 1    // first index after the last snapshot
        var term: UInt64 = 1
        var crashes = 0
        var s = try DiskStorage(directory: dir.path, options: opts)
        for step in 0..<400 {
            switch rng.next(10) {
            case 0...4:
                // Append, sometimes replacing a suffix not yet synced... or synced (a new term).
                let last = try s.lastIndex()
                var from = last + 1
                if rng.next(4) == 0 && last >= syncedFirst {
                    from = max(syncedFirst, last - UInt64(rng.next(3)))
                    term += 1
                }
                let n = 1 + rng.next(4)
                try s.append((0..<n).map { Entry(term: term, index: from + UInt64($0), data: [UInt8](repeating: UInt8(step & 0xff), count: rng.next(30))) })
            case 5...6:
                try s.sync()
                (syncedFirst, synced) = try Self.log(s)
            case 7:
                let applied = try s.lastIndex()  // treated as committed and applied
                if applied >= syncedFirst + 3 {
                    // createSnapshot syncs first: everything appended so far becomes durable.
                    try s.createSnapshot(index: applied - 2, configuration: Configuration(voters: [1]), data: [UInt8(step & 0xff)])
                    try s.compact(upTo: applied - 2)
                    (syncedFirst, synced) = try Self.log(s)
                }
            default:
                // Crash. Unsynced buffered writes are lost with the process; sometimes a
                // partial page of garbage-free zeros is left at the end of the segment.
                crashes += 1
                let segs = dir.segmentFiles().sorted()
                if rng.next(2) == 0, let lastSeg = segs.last {
                    let fd = open(lastSeg, O_WRONLY | O_APPEND)
                    let zeros = [UInt8](repeating: 0, count: 1 + rng.next(64))
                    _ = zeros.withUnsafeBytes { write(fd, $0.baseAddress, zeros.count) }
                    close(fd)
                }
                s = try DiskStorage(directory: dir.path, options: opts)
                let (first, got) = try Self.log(s)
                #expect(first == syncedFirst, "seed \(seed) step \(step)")
                #expect(got == synced, "seed \(seed) step \(step): recovered \(got.count) entries, synced \(synced.count)")
                if got != synced { return }
            }
        }
        #expect(crashes > 10)
    }

    static func log(_ s: DiskStorage) throws -> (UInt64, [Entry]) {
        let first = try s.firstIndex()
        let last = try s.lastIndex()
        return (first, last >= first ? try s.entries(first, last + 1, maxBytes: .max) : [])
    }
}
