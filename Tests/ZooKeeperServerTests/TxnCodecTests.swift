import NIOCore
import Testing
import ZNodeStore
import ZooKeeperWire
@testable import ZooKeeperServer

@Suite("log entry codec")
struct TxnCodecTests {
    static let samples: [LoggedTxn] = [
        LoggedTxn(origin: 1, proposal: 7, sessionId: 0x0100_0000_0000_0001, cxid: 0, time: 1_764_000_000_000, kind: .createSession(timeout: 30000)),
        LoggedTxn(origin: 2, proposal: 8, sessionId: 5, cxid: 9, time: 1, kind: .closeSession),
        LoggedTxn(origin: 3, proposal: 9, sessionId: 5, cxid: 0, time: 1, kind: .attachSession),
        LoggedTxn(origin: 3, proposal: .max, sessionId: -1, cxid: 12, time: 2, kind: .request(
            .create(CreateRequest(path: "/a", data: [1, 2], acl: ACL.creatorAll, flags: 1)),
            auth: AuthContext(ids: [Id(scheme: "ip", id: "127.0.0.1"), Id(scheme: "digest", id: "u:x=")], isSuper: false))),
        LoggedTxn(origin: 1, proposal: 1, sessionId: 0, cxid: 0, time: 3, kind: .request(
            .multi([.check(PathVersionRequest(path: "/a", version: 1)), .delete(PathVersionRequest(path: "/a", version: -1))]),
            auth: AuthContext(ids: [], isSuper: true))),
        LoggedTxn(origin: 1, proposal: 2, sessionId: 0, cxid: 0, time: 4, kind: .request(
            .createTTL(CreateRequest(path: "/t", data: [], acl: ACL.openUnsafe, flags: 5, ttl: 1000)), auth: AuthContext())),
        // Null znode data stays null (jute length -1), apart from empty.
        LoggedTxn(origin: 1, proposal: 3, sessionId: 0, cxid: 0, time: 5, kind: .request(
            .create(CreateRequest(path: "/n", data: nil)), auth: AuthContext())),
        LoggedTxn(origin: 1, proposal: 4, sessionId: 0, cxid: 0, time: 6, kind: .request(
            .setData(SetDataRequest(path: "/n", data: nil)), auth: AuthContext())),
        LoggedTxn(origin: 1, proposal: 5, sessionId: 0, cxid: 0, time: 7, kind: .request(
            .multi([.create(CreateRequest(path: "/m", data: nil)), .setData(SetDataRequest(path: "/m", data: []))]), auth: AuthContext())),
    ]

    @Test("every txn kind survives encode → decode", arguments: samples)
    func roundTrip(_ t: LoggedTxn) throws {
        #expect(try TxnCodec.decode(TxnCodec.encode(t)) == t)
    }

    @Test("one reused scratch buffer encodes every txn as a fresh buffer does")
    func scratchReuse() throws {
        var scratch = ByteBuffer()
        // Largest first: a later, shorter entry must not keep the earlier one's tail.
        for t in Self.samples.sorted(by: { TxnCodec.encode($0).count > TxnCodec.encode($1).count }) {
            let bytes = TxnCodec.encode(t, scratch: &scratch)
            #expect(bytes == TxnCodec.encode(t))
            #expect(try TxnCodec.decode(bytes) == t)
        }
    }

    @Test("truncated, trailing and unknown-version entries are rejected")
    func rejectsDamage() throws {
        let bytes = TxnCodec.encode(Self.samples[2])
        #expect(throws: (any Error).self) { try TxnCodec.decode(Array(bytes.dropLast(3))) }
        #expect(throws: TxnCodecError.trailingBytes(1)) { try TxnCodec.decode(bytes + [0]) }
        var other = bytes
        other[0] = 9
        #expect(throws: TxnCodecError.unsupportedVersion(9)) { try TxnCodec.decode(other) }
    }

    @Test("zxids are monotonic across terms")
    func zxidOrder() {
        #expect(TxnCodec.zxid(term: 1, index: 100) < TxnCodec.zxid(term: 2, index: 3))
        #expect(TxnCodec.zxid(term: 2, index: 3) < TxnCodec.zxid(term: 2, index: 4))
        #expect(TxnCodec.zxid(term: 2, index: 4) >> 32 == 2)
    }
}
