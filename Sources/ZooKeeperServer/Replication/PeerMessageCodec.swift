import NIOCore
import RaftCore

/// What travels between servers on the peer port. Every frame is `u32 length` + payload;
/// the payload starts with a kind byte.
enum PeerFrame: Equatable {
    /// First frame of every connection: who is talking.
    case hello(from: UInt64)
    case raft(Message)
    /// Follower → leader: sessions with client activity since the last batch.
    case sessionTouches([Int64])
}

enum PeerCodecError: Error, Equatable {
    case unknownKind(UInt8)
    case unknownMessageType(UInt8)
    case unknownEntryType(UInt8)
    case badConfiguration
    case truncated
}

enum PeerCodec {
    static func encode(_ frame: PeerFrame, into b: inout ByteBuffer) {
        let lengthIndex = b.writerIndex
        b.writeInteger(UInt32(0))
        switch frame {
        case .hello(let from):
            b.writeInteger(UInt8(1))
            b.writeInteger(from)
        case .raft(let m):
            b.writeInteger(UInt8(2))
            writeMessage(m, into: &b)
        case .sessionTouches(let ids):
            b.writeInteger(UInt8(3))
            b.writeInteger(UInt32(ids.count))
            for id in ids { b.writeInteger(id) }
        }
        b.setInteger(UInt32(b.writerIndex - lengthIndex - 4), at: lengthIndex)
    }

    static func decode(_ b: inout ByteBuffer) throws -> PeerFrame {
        let kind: UInt8 = try read(&b)
        switch kind {
        case 1: return .hello(from: try read(&b))
        case 2: return .raft(try readMessage(&b))
        case 3:
            let n: UInt32 = try read(&b)
            guard Int(n) * 8 <= b.readableBytes else { throw PeerCodecError.truncated }
            var ids: [Int64] = []
            ids.reserveCapacity(Int(n))
            for _ in 0..<n { ids.append(try read(&b)) }
            return .sessionTouches(ids)
        default: throw PeerCodecError.unknownKind(kind)
        }
    }

    private static func read<T: FixedWidthInteger>(_ b: inout ByteBuffer) throws -> T {
        guard let v = b.readInteger(as: T.self) else { throw PeerCodecError.truncated }
        return v
    }

    private static func writeBytes(_ bytes: [UInt8], into b: inout ByteBuffer) {
        b.writeInteger(UInt32(bytes.count))
        b.writeBytes(bytes)
    }

    private static func readBytes(_ b: inout ByteBuffer) throws -> [UInt8] {
        let n: UInt32 = try read(&b)
        guard let bytes = b.readBytes(length: Int(n)) else { throw PeerCodecError.truncated }
        return bytes
    }

    static func writeMessage(_ m: Message, into b: inout ByteBuffer) {
        b.writeInteger(m.type.rawValue)
        b.writeInteger(m.to)
        b.writeInteger(m.from)
        b.writeInteger(m.term)
        b.writeInteger(m.logTerm)
        b.writeInteger(m.index)
        b.writeInteger(m.commit)
        b.writeInteger(m.reject ? UInt8(1) : 0)
        b.writeInteger(m.rejectHint)
        writeBytes(m.context, into: &b)
        b.writeInteger(UInt32(m.entries.count))
        for e in m.entries {
            b.writeInteger(e.term)
            b.writeInteger(e.index)
            b.writeInteger(e.type.rawValue)
            writeBytes(e.data, into: &b)
        }
        if let s = m.snapshot {
            b.writeInteger(UInt8(1))
            b.writeInteger(s.metadata.index)
            b.writeInteger(s.metadata.term)
            writeBytes(s.metadata.configuration.encoded(), into: &b)
            b.writeInteger(s.offset)
            b.writeInteger(s.totalSize)
            writeBytes(s.data, into: &b)
        } else {
            b.writeInteger(UInt8(0))
        }
    }

    static func readMessage(_ b: inout ByteBuffer) throws -> Message {
        let typeRaw: UInt8 = try read(&b)
        guard let type = MessageType(rawValue: typeRaw) else { throw PeerCodecError.unknownMessageType(typeRaw) }
        var m = Message(type: type)
        m.to = try read(&b)
        m.from = try read(&b)
        m.term = try read(&b)
        m.logTerm = try read(&b)
        m.index = try read(&b)
        m.commit = try read(&b)
        m.reject = (try read(&b) as UInt8) != 0
        m.rejectHint = try read(&b)
        m.context = try readBytes(&b)
        let n: UInt32 = try read(&b)
        guard Int(n) <= b.readableBytes else { throw PeerCodecError.truncated }
        m.entries.reserveCapacity(Int(n))
        for _ in 0..<n {
            let term: UInt64 = try read(&b)
            let index: UInt64 = try read(&b)
            let t: UInt8 = try read(&b)
            guard let et = EntryType(rawValue: t) else { throw PeerCodecError.unknownEntryType(t) }
            m.entries.append(Entry(term: term, index: index, type: et, data: try readBytes(&b)))
        }
        if (try read(&b) as UInt8) == 1 {
            let index: UInt64 = try read(&b)
            let term: UInt64 = try read(&b)
            guard let conf = Configuration.decode(try readBytes(&b)) else { throw PeerCodecError.badConfiguration }
            let offset: UInt64 = try read(&b)
            let total: UInt64 = try read(&b)
            let data = try readBytes(&b)
            m.snapshot = SnapshotChunk(metadata: SnapshotMetadata(index: index, term: term, configuration: conf),
                                       offset: offset, totalSize: total, data: data)
        }
        return m
    }
}
