#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import RaftCore
@testable import RaftStorage

/// Recovery against every possible cut point and every single-byte corruption of a
/// small segment.
@Suite("Durable storage recovery, exhaustively")
struct RecoveryExhaustiveTests {
    static let count: UInt64 = 6
    static let payload = 12
    static let recordSize = 8 + 1 + 8 + 8 + 1 + payload

    /// The bytes of one segment holding `count` entries.
    static func segmentBytes() throws -> [UInt8] {
        let dir = TempDir()
        defer { dir.cleanup() }
        let s = try DiskStorage(directory: dir.path)
        try s.append(entries(1...count, term: 3, size: payload))
        try s.sync()
        let seg = dir.segmentFiles().sorted().last!
        return try FileIO.readAll(seg)
    }

    static func open(with segment: [UInt8]) throws(DiskStorageError) -> (DiskStorage, TempDir) {
        let dir = TempDir()
        try! FileIO.mkdirs(dir.path + "/wal")
        let path = dir.path + "/wal/" + SegmentFormat.fileName(seq: 1, firstIndex: 1)
        let fd = Glibc.open(path, O_WRONLY | O_CREAT, 0o644)
        try! FileIO.writeAll(fd, segment, path)
        close(fd)
        do {
            return (try DiskStorage(directory: dir.path), dir)
        } catch {
            dir.cleanup()
            throw error
        }
    }

    @Test("a cut at any byte recovers exactly the records wholly before the cut")
    func everyCut() throws {
        let bytes = try Self.segmentBytes()
        #expect(bytes.count == SegmentFormat.headerSize + Int(Self.count) * Self.recordSize)
        for cut in 0...bytes.count {
            let (s, dir) = try Self.open(with: Array(bytes[0..<cut]))
            defer { dir.cleanup() }
            let whole = max(0, cut - SegmentFormat.headerSize) / Self.recordSize
            #expect(try s.lastIndex() == UInt64(whole), "cut at \(cut)")
            let torn = cut < bytes.count && (cut < SegmentFormat.headerSize || (cut - SegmentFormat.headerSize) % Self.recordSize != 0)
            #expect((s.recovery.truncatedTail != nil) == torn, "cut at \(cut)")
        }
    }

    @Test("a flipped byte before the last record is refused; in the last record it is a torn tail")
    func everyFlip() throws {
        let bytes = try Self.segmentBytes()
        let lastRecord = bytes.count - Self.recordSize
        for i in 0..<bytes.count {
            var damaged = bytes
            damaged[i] ^= 0x40
            if i < 8 || i >= SegmentFormat.headerSize && i < lastRecord {
                // Magic or a record with valid records after it.
                #expect(throws: DiskStorageError.self, "flip at \(i)") { _ = try Self.open(with: damaged) }
            } else if i >= lastRecord {
                let (s, dir) = try Self.open(with: damaged)
                defer { dir.cleanup() }
                #expect(try s.lastIndex() == Self.count - 1, "flip at \(i)")
                #expect(s.recovery.truncatedTail?.offset == lastRecord)
            }
            // Bytes 8..<16 hold the segment sequence number, which replay does not use.
        }
    }
}
