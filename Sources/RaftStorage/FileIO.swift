#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib

/// Thin, throwing wrappers over POSIX file calls.
enum FileIO {
    static func error(_ what: String, _ path: String) -> DiskStorageError {
        .io("\(what) \(path): \(String(cString: strerror(errno)))")
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func mkdirs(_ path: String) throws(DiskStorageError) {
        var cur = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            cur += "/" + part
            if mkdir(cur, 0o755) != 0 && errno != EEXIST { throw error("mkdir", cur) }
        }
    }

    static func list(_ dir: String) throws(DiskStorageError) -> [String] {
        guard let d = opendir(dir) else { throw error("opendir", dir) }
        defer { closedir(d) }
        var names: [String] = []
        while let ent = readdir(d) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func readAll(_ path: String) throws(DiskStorageError) -> [UInt8] {
        let (fd, size) = try openForReading(path)
        defer { close(fd) }
        return try readBytes(fd, count: size, at: 0, path)
    }

    /// The file opened read-only, and its size; the caller closes it.
    static func openForReading(_ path: String) throws(DiskStorageError) -> (fd: Int32, size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw error("open", path) }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let e = error("stat", path)
            close(fd)
            throw e
        }
        return (fd, Int(st.st_size))
    }

    /// Up to `count` bytes from `offset` (fewer at the end of the file), read straight
    /// into a new array: no zero-filling pass over a buffer about to be overwritten (a
    /// snapshot or a WAL segment is tens or hundreds of MiB).
    static func readBytes(_ fd: Int32, count: Int, at offset: Int, _ path: String) throws(DiskStorageError) -> [UInt8] {
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buf, initialized in
            var done = 0
            while done < count {
                let n = pread(fd, buf.baseAddress! + done, count - done, off_t(offset + done))
                if n < 0 { if errno == EINTR { continue }; failed = true; break }
                if n == 0 { break }
                done += n
            }
            initialized = done
        }
        if failed { throw error("read", path) }
        return bytes
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ path: String) throws(DiskStorageError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 { if errno == EINTR { continue }; throw error("write", path) }
            done += n
        }
    }

    static func pwriteAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int, _ path: String) throws(DiskStorageError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
            if n < 0 { if errno == EINTR { continue }; throw error("write", path) }
            done += n
        }
    }

    static func fsyncFD(_ fd: Int32, _ path: String) throws(DiskStorageError) {
        if fsync(fd) != 0 { throw error("fsync", path) }
    }

    static func fsyncDir(_ dir: String) throws(DiskStorageError) {
        let fd = open(dir, O_RDONLY)
        if fd < 0 { throw error("open", dir) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw error("fsync", dir) }
    }

    /// Writes `bytes` to `path` atomically: temp file, fsync, rename, fsync directory.
    static func writeAtomically(_ path: String, dir: String, _ bytes: [UInt8]) throws(DiskStorageError) {
        try writeAtomically(path, dir: dir, parts: [bytes])
    }

    /// Writes the concatenation of `parts` to `path` atomically (no joined copy is made).
    static func writeAtomically(_ path: String, dir: String, parts: [[UInt8]]) throws(DiskStorageError) {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 { throw error("open", tmp) }
        do {
            for part in parts { try writeAll(fd, part, tmp) }
            try fsyncFD(fd, tmp)
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        if rename(tmp, path) != 0 { throw error("rename", tmp) }
        try fsyncDir(dir)
    }

    static func remove(_ path: String) throws(DiskStorageError) {
        if unlink(path) != 0 && errno != ENOENT { throw error("unlink", path) }
    }

    static func truncate(_ path: String, to size: Int) throws(DiskStorageError) {
        let fd = open(path, O_WRONLY)
        if fd < 0 { throw error("open", path) }
        defer { close(fd) }
        if ftruncate(fd, off_t(size)) != 0 { throw error("truncate", path) }
        try fsyncFD(fd, path)
    }

    /// The crc32 of A followed by B, from crc32(A), crc32(B) and B's length.
    static func crcCombine(_ a: UInt32, _ b: UInt32, length: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: crc32_combine(uLong(a), uLong(b), .init(length)))
    }

    /// zlib's crc32; `initial` continues a checksum over earlier bytes.
    static func crc(_ bytes: ArraySlice<UInt8>, initial: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { crc($0, initial: initial) }
    }

    static func crc(_ raw: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
        var crc = uLong(initial)
        var offset = 0
        // zlib takes a 32-bit length: feed huge buffers in pieces.
        repeat {
            let n = min(raw.count - offset, 1 << 30)
            crc = crc32(crc, raw.baseAddress.map { $0.advanced(by: offset).assumingMemoryBound(to: Bytef.self) }, uInt(n))
            offset += n
        } while offset < raw.count
        return UInt32(crc)
    }
}

/// Little-endian encoding helpers.
struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
    mutating func u64(_ v: UInt64) { for s in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) } }
    mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
}

struct ByteReader {
    let bytes: ArraySlice<UInt8>
    var pos: Int

    init(_ b: ArraySlice<UInt8>) {
        bytes = b
        pos = b.startIndex
    }

    var remaining: Int { bytes.endIndex - pos }

    mutating func u8() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { pos += 1 }
        return bytes[pos]
    }

    mutating func u32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[pos + i]) << UInt32(8 * i) }
        pos += 4
        return v
    }

    mutating func u64() -> UInt64? {
        guard remaining >= 8 else { return nil }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[pos + i]) << UInt64(8 * i) }
        pos += 8
        return v
    }

    mutating func raw(_ n: Int) -> [UInt8]? {
        guard n >= 0, remaining >= n else { return nil }
        defer { pos += n }
        return Array(bytes[pos..<(pos + n)])
    }
}
