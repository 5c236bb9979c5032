#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RaftCore

/// Snapshot and hard-state files (see docs/WAL-FORMAT.md).
enum SnapshotFile {
    /// "TUSKSNP1" | u32 crc32(rest) | u64 index | u64 term | u32 confLen | conf | u64 dataLen | data
    static let magic: [UInt8] = Array("TUSKSNP1".utf8)

    static func fileName(_ m: SnapshotMetadata) -> String { "\(hex16(m.index))-\(hex16(m.term)).snap" }

    static func parseName(_ name: String) -> UInt64? {
        guard name.hasSuffix(".snap") else { return nil }
        let parts = name.dropLast(5).split(separator: "-")
        guard parts.count == 2 else { return nil }
        return UInt64(parts[0], radix: 16)
    }

    /// The file's bytes as parts — everything up to the data, then the data's own parts
    /// unchanged — so a snapshot as large as the whole state is written without copying it
    /// (`encode` held three copies of it at once).
    static func encodedParts(_ m: SnapshotMetadata, data: [[UInt8]]) -> [[UInt8]] {
        var crc: UInt32 = 0
        for part in data { crc = FileIO.crc(part[...], initial: crc) }
        return [header(m, dataLength: UInt64(data.reduce(0) { $0 + $1.count }), dataCRC: crc)] + data
    }

    /// Everything before the data, given the data's length and its own crc32.
    static func header(_ m: SnapshotMetadata, dataLength: UInt64, dataCRC: UInt32) -> [UInt8] {
        var body = ByteWriter()
        body.u64(m.index)
        body.u64(m.term)
        let conf = m.configuration.encoded()
        body.u32(UInt32(conf.count))
        body.raw(conf)
        body.u64(dataLength)
        let crc = FileIO.crcCombine(FileIO.crc(body.bytes[...]), dataCRC, length: dataLength)
        var head = ByteWriter()
        head.raw(magic)
        head.u32(crc)
        head.raw(body.bytes)
        return head.bytes
    }

    static func encode(_ s: Snapshot) -> [UInt8] {
        var body = ByteWriter()
        body.u64(s.metadata.index)
        body.u64(s.metadata.term)
        let conf = s.metadata.configuration.encoded()
        body.u32(UInt32(conf.count))
        body.raw(conf)
        body.u64(UInt64(s.data.count))
        body.raw(s.data)
        var out = ByteWriter()
        out.raw(magic)
        out.u32(FileIO.crc(body.bytes[...]))
        out.raw(body.bytes)
        return out.bytes
    }

    /// The snapshot in the file at `path`, its checksum and lengths checked, with its data
    /// read straight into its own array (reading the whole file into one buffer and
    /// decoding it copied the data out: a second buffer as large as the state, faulted in
    /// at a restart).
    static func read(_ path: String) throws(DiskStorageError) -> Snapshot {
        let (fd, size) = try FileIO.openForReading(path)
        defer { close(fd) }
        // magic | crc | index | term | confLen, then conf and dataLen.
        let prefix = try FileIO.readBytes(fd, count: min(size, 32), at: 0, path)
        guard prefix.count == 32, Array(prefix[0..<8]) == magic else {
            throw .corruption(file: path, offset: 0, reason: "bad snapshot header")
        }
        var p = ByteReader(prefix[8...])
        let crc = p.u32()!, index = p.u64()!, term = p.u64()!
        let confLen = Int(p.u32()!)
        guard confLen <= size - 40 else { throw .corruption(file: path, offset: 12, reason: "malformed snapshot body") }
        let rest = try FileIO.readBytes(fd, count: confLen + 8, at: 32, path)
        var r = ByteReader(rest[...])
        guard let confBytes = r.raw(confLen), let conf = Configuration.decode(confBytes), let dataLen = r.u64(),
              dataLen == UInt64(size - 40 - confLen)
        else {
            throw .corruption(file: path, offset: 12, reason: "malformed snapshot body")
        }
        let data = try FileIO.readBytes(fd, count: Int(dataLen), at: 40 + confLen, path)
        guard data.count == Int(dataLen) else { throw .corruption(file: path, offset: 12, reason: "malformed snapshot body") }
        let bodyCRC = FileIO.crc(rest[...], initial: FileIO.crc(prefix[12...]))
        guard FileIO.crc(data[...], initial: bodyCRC) == crc else {
            throw .corruption(file: path, offset: 8, reason: "snapshot checksum mismatch")
        }
        return Snapshot(metadata: SnapshotMetadata(index: index, term: term, configuration: conf), data: data)
    }
}

enum HardStateFile {
    /// "TUSKHST1" | u32 crc32(payload) | payload = u64 term | u64 vote | u64 commit
    static let magic: [UInt8] = Array("TUSKHST1".utf8)

    static func encode(_ hs: HardState) -> [UInt8] {
        var p = ByteWriter()
        p.u64(hs.term)
        p.u64(hs.vote)
        p.u64(hs.commit)
        var out = ByteWriter()
        out.raw(magic)
        out.u32(FileIO.crc(p.bytes[...]))
        out.raw(p.bytes)
        return out.bytes
    }

    static func decode(_ bytes: [UInt8], file: String) throws(DiskStorageError) -> HardState {
        guard bytes.count == 36, Array(bytes[0..<8]) == magic else {
            throw .corruption(file: file, offset: 0, reason: "bad hard state file (size \(bytes.count))")
        }
        var r = ByteReader(bytes[8...])
        let crc = r.u32()!
        guard FileIO.crc(bytes[12...]) == crc else {
            throw .corruption(file: file, offset: 8, reason: "hard state checksum mismatch")
        }
        return HardState(term: r.u64()!, vote: r.u64()!, commit: r.u64()!)
    }
}
