import RaftCore

/// One WAL record's payload. Framing on disk (see docs/WAL-FORMAT.md):
/// `u32 length | u32 crc32(payload) | payload`, little-endian.
enum WALRecord: Equatable {
    /// A log entry. An entry at index i replaces every entry at ≥ i.
    case entry(Entry)
    /// The log was reset to a snapshot at (index, term): earlier records no longer count.
    case snapshotMarker(index: UInt64, term: UInt64)
    /// The commit index reached this value.
    case commit(UInt64)

    static let headerSize = 8
    /// Larger lengths are treated as damage.
    static let maxPayload = 256 << 20

    func encodePayload(into w: inout ByteWriter) {
        switch self {
        case .entry(let e):
            w.u8(1)
            w.u64(e.term)
            w.u64(e.index)
            w.u8(e.type.rawValue)
            w.raw(e.data)
        case .snapshotMarker(let index, let term):
            w.u8(2)
            w.u64(index)
            w.u64(term)
        case .commit(let c):
            w.u8(3)
            w.u64(c)
        }
    }

    /// Appends the framed record to `out`.
    /// The payload is encoded in place after a header placeholder, which is then filled in:
    /// no temporary arrays (this runs once per log entry on the write path).
    func frame(into out: inout [UInt8]) {
        let start = out.count
        var w = ByteWriter()
        swap(&w.bytes, &out)
        w.u32(0)
        w.u32(0)
        encodePayload(into: &w)
        swap(&w.bytes, &out)
        let length = out.count - start - Self.headerSize
        let crc = FileIO.crc(out[(start + Self.headerSize)...])
        out.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt32(length).littleEndian, toByteOffset: start, as: UInt32.self)
            raw.storeBytes(of: crc.littleEndian, toByteOffset: start + 4, as: UInt32.self)
        }
    }

    static func decode(_ payload: ArraySlice<UInt8>) -> WALRecord? {
        var r = ByteReader(payload)
        switch r.u8() {
        case 1?:
            guard let term = r.u64(), let index = r.u64(), let t = r.u8(), let type = EntryType(rawValue: t),
                  let data = r.raw(r.remaining) else { return nil }
            return .entry(Entry(term: term, index: index, type: type, data: data))
        case 2?:
            guard let index = r.u64(), let term = r.u64(), r.remaining == 0 else { return nil }
            return .snapshotMarker(index: index, term: term)
        case 3?:
            guard let c = r.u64(), r.remaining == 0 else { return nil }
            return .commit(c)
        default:
            return nil
        }
    }
}

/// Result of scanning one segment file.
struct SegmentScan {
    var records: [(record: WALRecord, offset: Int)] = []
    /// Byte offset where valid records end.
    var validEnd: Int
    /// Set when the file ends in a damaged record that looks like a torn write.
    var tornTailAt: Int?
}

enum SegmentFormat {
    /// File header: magic "TUSKWAL1" + u64 segment sequence number.
    static let magic: [UInt8] = Array("TUSKWAL1".utf8)
    static let headerSize = 16

    static func header(seq: UInt64) -> [UInt8] {
        var w = ByteWriter()
        w.raw(magic)
        w.u64(seq)
        return w.bytes
    }

    static func fileName(seq: UInt64, firstIndex: UInt64) -> String {
        "\(hex16(seq))-\(hex16(firstIndex)).wal"
    }

    /// (seq, firstIndex) from a segment file name.
    static func parse(_ name: String) -> (UInt64, UInt64)? {
        guard name.hasSuffix(".wal") else { return nil }
        let parts = name.dropLast(4).split(separator: "-")
        guard parts.count == 2, let a = UInt64(parts[0], radix: 16), let b = UInt64(parts[1], radix: 16) else { return nil }
        return (a, b)
    }

    /// Parses a segment. Damage at the very end of the last segment is a torn write
    /// (reported in `tornTailAt`); anywhere else it is corruption.
    static func scan(_ bytes: [UInt8], file: String, isLast: Bool) throws(DiskStorageError) -> SegmentScan {
        if bytes.count < headerSize {
            if isLast { return SegmentScan(validEnd: 0, tornTailAt: 0) }
            throw .corruption(file: file, offset: 0, reason: "segment shorter than its header")
        }
        guard Array(bytes[0..<8]) == magic else {
            throw .corruption(file: file, offset: 0, reason: "bad segment magic")
        }
        var out = SegmentScan(validEnd: headerSize)
        var pos = headerSize
        while pos < bytes.count {
            if let (record, next) = record(at: pos, in: bytes) {
                out.records.append((record, pos))
                pos = next
                out.validEnd = pos
                continue
            }
            // Damaged record at `pos`.
            if isLast && looksTorn(at: pos, in: bytes) {
                out.tornTailAt = pos
                return out
            }
            throw .corruption(file: file, offset: pos, reason: "record fails its length/crc32 check and valid data follows it")
        }
        return out
    }

    static func record(at pos: Int, in bytes: [UInt8]) -> (WALRecord, Int)? {
        guard bytes.count - pos >= WALRecord.headerSize else { return nil }
        var r = ByteReader(bytes[pos..<(pos + 8)])
        let len = Int(r.u32()!)
        let crc = r.u32()!
        guard len <= WALRecord.maxPayload, pos + 8 + len <= bytes.count else { return nil }
        let payload = bytes[(pos + 8)..<(pos + 8 + len)]
        guard FileIO.crc(payload) == crc, let rec = WALRecord.decode(payload) else { return nil }
        return (rec, pos + 8 + len)
    }

    /// A torn tail: the damaged record at `pos` is followed only by zeros or by bytes
    /// in which no valid record starts at any offset. (A valid record after the damage
    /// means data we must not drop: corruption.)
    static func looksTorn(at pos: Int, in bytes: [UInt8]) -> Bool {
        if bytes[pos...].allSatisfy({ $0 == 0 }) { return true }
        var p = pos + 1
        while p + WALRecord.headerSize <= bytes.count {
            if record(at: p, in: bytes) != nil { return false }
            p += 1
        }
        return true
    }
}

func hex16(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, 16 - s.count)) + s
}
