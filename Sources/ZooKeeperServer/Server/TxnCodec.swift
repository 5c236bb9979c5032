import NIOCore
import ZNodeStore
import ZooKeeperWire

/// A txn as it travels in a replicated log entry. The zxid is not stored: it is derived
/// from the entry's (term, index) when it is applied, so every replica computes the same.
/// `origin`/`proposal` let the server that proposed the entry find the waiting client.
struct LoggedTxn: Hashable, Sendable {
    var origin: Int32
    var proposal: UInt64
    var sessionId: Int64
    var cxid: Int32
    var time: Int64
    var kind: TxnKind

    func txn(zxid: Int64) -> Txn {
        Txn(sessionId: sessionId, cxid: cxid, zxid: zxid, time: time, kind: kind, origin: origin)
    }
}

enum TxnCodecError: Error, Equatable {
    case unsupportedVersion(UInt8)
    case unknownKind(UInt8)
    case trailingBytes(Int)
}

/// Binary layout (big-endian, jute primitives):
/// `u8 version=1, i32 origin, u64 proposal, i64 sessionId, i32 cxid, i64 time, u8 kind`, then
/// for kind 1 (createSession) `i32 timeout`; kind 2 (closeSession) and 4 (attachSession) nothing; kind 3 (request)
/// `i32 opcode, <request body as on the wire>, u8 isSuper, vector<Id> auth ids`.
/// Null znode data travels as on the wire (buffer length -1), which version-1 entries
/// written before null data was kept never contain, so old logs decode unchanged.
enum TxnCodec {
    static let version: UInt8 = 1

    static func encode(_ t: LoggedTxn) -> [UInt8] {
        var b = allocator.buffer(capacity: estimatedSize(t))
        return encode(t, scratch: &b)
    }

    /// Encodes through `scratch`, a buffer the caller keeps between calls (cleared here), so
    /// the only allocation per txn is the returned array.
    static func encode(_ t: LoggedTxn, scratch b: inout ByteBuffer) -> [UInt8] {
        b.clear()
        b.writeInteger(version)
        b.writeJuteInt(t.origin)
        b.writeInteger(t.proposal)
        b.writeJuteLong(t.sessionId)
        b.writeJuteInt(t.cxid)
        b.writeJuteLong(t.time)
        switch t.kind {
        case .createSession(let timeout):
            b.writeInteger(UInt8(1))
            b.writeJuteInt(timeout)
        case .closeSession:
            b.writeInteger(UInt8(2))
        case .attachSession:
            b.writeInteger(UInt8(4))
        case .request(let request, let auth):
            b.writeInteger(UInt8(3))
            b.writeJuteInt(request.opCode.rawValue)
            request.write(jute: &b)
            b.writeJuteBool(auth.isSuper)
            b.writeJuteVector(auth.ids) { $1.write(jute: &$0) }
        }
        // NIO's copy out: 44 ns for 220 B against 61 ns for `Array(b.readableBytesView)`.
        return b.readBytes(length: b.readableBytes)!
    }

    private static let allocator = ByteBufferAllocator()

    /// Enough for the common records at once (the buffer grows for the rest).
    private static func estimatedSize(_ t: LoggedTxn) -> Int {
        guard case .request(let request, let auth) = t.kind else { return 48 }
        var n = 96 + auth.ids.reduce(0) { $0 + 8 + $1.scheme.utf8.count + $1.id.utf8.count }
        switch request {
        case .create(let r), .create2(let r), .createContainer(let r), .createTTL(let r):
            n += r.path.utf8.count + (r.data?.count ?? 0) + 32 * r.acl.count
        case .setData(let r):
            n += r.path.utf8.count + (r.data?.count ?? 0)
        default:
            n += 160
        }
        return n
    }

    static func decode(_ bytes: [UInt8]) throws -> LoggedTxn {
        var b = ByteBuffer(bytes: bytes)
        guard let v = b.readInteger(as: UInt8.self) else { throw JuteDecodingError.truncated("LoggedTxn.version") }
        guard v == version else { throw TxnCodecError.unsupportedVersion(v) }
        let origin = try b.readJuteInt("LoggedTxn.origin")
        guard let proposal = b.readInteger(as: UInt64.self) else { throw JuteDecodingError.truncated("LoggedTxn.proposal") }
        let sessionId = try b.readJuteLong("LoggedTxn.sessionId")
        let cxid = try b.readJuteInt("LoggedTxn.cxid")
        let time = try b.readJuteLong("LoggedTxn.time")
        guard let kindTag = b.readInteger(as: UInt8.self) else { throw JuteDecodingError.truncated("LoggedTxn.kind") }
        let kind: TxnKind
        switch kindTag {
        case 1: kind = .createSession(timeout: try b.readJuteInt("LoggedTxn.timeout"))
        case 2: kind = .closeSession
        case 4: kind = .attachSession
        case 3:
            let op = try b.readJuteInt("LoggedTxn.opcode")
            let request = try ZooKeeperRequest.decode(type: op, from: &b)
            let isSuper = try b.readJuteBool("LoggedTxn.isSuper")
            let ids = try b.readJuteVector("LoggedTxn.ids") { try Id(jute: &$0) }
            kind = .request(request, auth: AuthContext(ids: ids, isSuper: isSuper))
        default:
            throw TxnCodecError.unknownKind(kindTag)
        }
        guard b.readableBytes == 0 else { throw TxnCodecError.trailingBytes(b.readableBytes) }
        return LoggedTxn(origin: origin, proposal: proposal, sessionId: sessionId, cxid: cxid, time: time, kind: kind)
    }

    /// zxid = term (epoch) in the high 32 bits, the entry's index in the low 32: monotonic
    /// across leaders because a new leader's term is higher.
    static func zxid(term: UInt64, index: UInt64) -> Int64 {
        Int64(bitPattern: (term << 32) | (index & 0xFFFF_FFFF))
    }
}
