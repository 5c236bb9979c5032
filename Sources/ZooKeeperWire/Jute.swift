import NIOCore

/// Errors raised while decoding jute-encoded records.
public enum JuteDecodingError: Error, Equatable, Sendable {
    /// The buffer ended before the record did.
    case truncated(String)
    /// A length prefix was negative (other than -1 for null) or absurdly large.
    case invalidLength(String, Int32)
    /// A string was not valid UTF-8.
    case invalidUTF8(String)
    /// The opcode is not one this codec knows.
    case unknownOpCode(Int32)
}

/// A record in ZooKeeper's jute serialization: big-endian ints and longs, one-byte
/// booleans, length-prefixed buffers, strings and vectors (-1 length means null).
public protocol JuteRecord: Sendable {
    init(jute buffer: inout ByteBuffer) throws
    func write(jute buffer: inout ByteBuffer)
}

/// Upper bound for any single length prefix inside a frame; frames themselves are
/// bounded by `jute.maxbuffer`, so this only protects against nonsense.
@usableFromInline let juteMaxElementLength: Int32 = 256 * 1024 * 1024

extension ByteBuffer {
    @inlinable
    public mutating func readJuteInt(_ field: StaticString = "int") throws -> Int32 {
        guard let v = readInteger(as: Int32.self) else { throw JuteDecodingError.truncated("\(field)") }
        return v
    }

    @inlinable
    public mutating func readJuteLong(_ field: StaticString = "long") throws -> Int64 {
        guard let v = readInteger(as: Int64.self) else { throw JuteDecodingError.truncated("\(field)") }
        return v
    }

    @inlinable
    public mutating func readJuteBool(_ field: StaticString = "boolean") throws -> Bool {
        guard let v = readInteger(as: UInt8.self) else { throw JuteDecodingError.truncated("\(field)") }
        return v != 0
    }

    /// Reads a jute `buffer`; a null buffer (length -1) reads as an empty array.
    @inlinable
    public mutating func readJuteBuffer(_ field: StaticString = "buffer") throws -> [UInt8] {
        let len = try readJuteInt(field)
        if len == -1 { return [] }
        guard len >= 0, len <= juteMaxElementLength else { throw JuteDecodingError.invalidLength("\(field)", len) }
        guard let bytes = readBytes(length: Int(len)) else { throw JuteDecodingError.truncated("\(field)") }
        return bytes
    }

    /// Reads a jute `buffer` keeping null (length -1) apart from empty: znode data.
    @inlinable
    public mutating func readJuteOptionalBuffer(_ field: StaticString = "buffer") throws -> [UInt8]? {
        guard let len = getInteger(at: readerIndex, as: Int32.self) else { throw JuteDecodingError.truncated("\(field)") }
        if len == -1 {
            moveReaderIndex(forwardBy: 4)
            return nil
        }
        return try readJuteBuffer(field)
    }

    /// Reads a jute `ustring`; a null string (length -1) reads as "".
    @inlinable
    public mutating func readJuteString(_ field: StaticString = "ustring") throws -> String {
        try readJuteOptionalString(field) ?? ""
    }

    @inlinable
    public mutating func readJuteOptionalString(_ field: StaticString = "ustring") throws -> String? {
        let len = try readJuteInt(field)
        if len == -1 { return nil }
        guard len >= 0, len <= juteMaxElementLength else { throw JuteDecodingError.invalidLength("\(field)", len) }
        guard readableBytes >= Int(len) else { throw JuteDecodingError.truncated("\(field)") }
        guard let s = readString(length: Int(len)) else { throw JuteDecodingError.invalidUTF8("\(field)") }
        return s
    }

    /// Reads a jute `vector`; null (-1) reads as empty.
    @inlinable
    public mutating func readJuteVector<T>(_ field: StaticString = "vector", _ element: (inout ByteBuffer) throws -> T) throws -> [T] {
        let count = try readJuteInt(field)
        if count == -1 { return [] }
        // Every element is at least one byte, so a count above the remaining bytes is bogus.
        guard count >= 0, Int(count) <= readableBytes else { throw JuteDecodingError.invalidLength("\(field)", count) }
        var out: [T] = []
        out.reserveCapacity(Int(count))
        for _ in 0..<count { out.append(try element(&self)) }
        return out
    }

    @inlinable
    public mutating func readJuteStrings(_ field: StaticString = "vector<ustring>") throws -> [String] {
        try readJuteVector(field) { try $0.readJuteString(field) }
    }

    @inlinable @discardableResult
    public mutating func writeJuteInt(_ v: Int32) -> Int { writeInteger(v) }

    @inlinable @discardableResult
    public mutating func writeJuteLong(_ v: Int64) -> Int { writeInteger(v) }

    @inlinable @discardableResult
    public mutating func writeJuteBool(_ v: Bool) -> Int { writeInteger(v ? 1 : 0 as UInt8) }

    @inlinable @discardableResult
    public mutating func writeJuteBuffer(_ bytes: [UInt8]) -> Int {
        writeInteger(Int32(bytes.count)) + writeBytes(bytes)
    }

    /// Writes a buffer that may be null (jute length -1).
    @inlinable @discardableResult
    public mutating func writeJuteOptionalBuffer(_ bytes: [UInt8]?) -> Int {
        guard let bytes else { return writeInteger(Int32(-1)) }
        return writeJuteBuffer(bytes)
    }

    @inlinable @discardableResult
    public mutating func writeJuteString(_ s: String) -> Int {
        writeInteger(Int32(truncatingIfNeeded: s.utf8.count)) + writeString(s)
    }

    @inlinable @discardableResult
    public mutating func writeJuteOptionalString(_ s: String?) -> Int {
        guard let s else { return writeInteger(Int32(-1)) }
        return writeJuteString(s)
    }

    @inlinable @discardableResult
    public mutating func writeJuteVector<T>(_ items: [T], _ element: (inout ByteBuffer, T) -> Void) -> Int {
        let start = writerIndex
        writeInteger(Int32(items.count))
        for item in items { element(&self, item) }
        return writerIndex - start
    }

    /// A vector of strings in one pass over reserved memory (getChildren of a large node
    /// writes thousands: one bounds/uniqueness check per string would dominate).
    @inlinable @discardableResult
    public mutating func writeJuteStrings(_ items: [String]) -> Int {
        var total = 4
        for s in items { total += 4 + s.utf8.count }
        writeWithUnsafeMutableBytes(minimumWritableBytes: total) { raw in
            var offset = 0
            @inline(__always) func put(_ v: Int32) {
                raw.storeBytes(of: UInt32(bitPattern: v).bigEndian, toByteOffset: offset, as: UInt32.self)
                offset += 4
            }
            put(Int32(truncatingIfNeeded: items.count))
            for var s in items {
                s.withUTF8 { utf8 in
                    put(Int32(truncatingIfNeeded: utf8.count))
                    if let base = utf8.baseAddress, utf8.count > 0 {
                        (raw.baseAddress! + offset).copyMemory(from: base, byteCount: utf8.count)
                    }
                    offset += utf8.count
                }
            }
            return offset
        }
        return total
    }

    @inlinable
    public mutating func readJuteRecord<R: JuteRecord>(_ type: R.Type = R.self) throws -> R {
        try R(jute: &self)
    }

    @inlinable
    public mutating func writeJuteRecord<R: JuteRecord>(_ record: R) {
        record.write(jute: &self)
    }
}
