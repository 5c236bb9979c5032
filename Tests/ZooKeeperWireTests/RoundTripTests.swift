import NIOCore
import Testing
@testable import ZooKeeperWire

/// Every request and response survives encode → decode unchanged, and consumes exactly
/// the bytes it wrote.
@Suite("jute round trips")
struct RoundTripTests {
    static let stat = Stat(czxid: 1, mzxid: 2, ctime: 3, mtime: 4, version: 5, cversion: 6, aversion: 7,
                           ephemeralOwner: 0x1234, dataLength: 9, numChildren: 10, pzxid: 11)
    static let acls = [ACL(perms: .all, id: .anyone), ACL(perms: [.read, .write], id: Id(scheme: "digest", id: "u:abc="))]

    static let requests: [ZooKeeperRequest] = [
        .create(CreateRequest(path: "/a", data: [1, 2, 3], acl: acls, flags: 3)),
        .create2(CreateRequest(path: "/b", data: [], acl: ACL.openUnsafe, flags: 0)),
        .createContainer(CreateRequest(path: "/c", data: [9], acl: ACL.openUnsafe, flags: 4)),
        .createTTL(CreateRequest(path: "/t", data: [7], acl: ACL.openUnsafe, flags: 5, ttl: 60_000)),
        .delete(PathVersionRequest(path: "/a", version: 3)),
        .deleteContainer(PathRecord(path: "/c")),
        .exists(PathWatchRequest(path: "/a", watch: true)),
        .getData(PathWatchRequest(path: "/a", watch: false)),
        .setData(SetDataRequest(path: "/a", data: Array("héllo".utf8), version: -1)),
        .getACL(PathRecord(path: "/a")),
        .setACL(SetACLRequest(path: "/a", acl: acls, version: 2)),
        .getChildren(PathWatchRequest(path: "/", watch: true)),
        .getChildren2(PathWatchRequest(path: "/", watch: false)),
        .sync(PathRecord(path: "/")),
        .ping,
        .check(PathVersionRequest(path: "/a", version: 1)),
        .multi([
            .create(CreateRequest(path: "/m", data: [1], acl: ACL.openUnsafe, flags: 0)),
            .setData(SetDataRequest(path: "/m", data: [2], version: 0)),
            .check(PathVersionRequest(path: "/m", version: 1)),
            .delete(PathVersionRequest(path: "/m", version: -1)),
        ]),
        .multiRead([.getData(PathWatchRequest(path: "/a")), .getChildren(PathWatchRequest(path: "/"))]),
        .reconfig(ReconfigRequest(joiningServers: "server.4=h:1:2", leavingServers: nil, newMembers: nil, curConfigId: -1)),
        .checkWatches(PathTypeRequest(path: "/a", type: 3)),
        .removeWatches(PathTypeRequest(path: "/a", type: 1)),
        .auth(AuthPacket(scheme: "digest", auth: Array("u:p".utf8))),
        .setWatches(SetWatchesRequest(relativeZxid: 42, dataWatches: ["/a"], existWatches: ["/b"], childWatches: ["/"])),
        .setWatches2(SetWatchesRequest(relativeZxid: 43, dataWatches: [], existWatches: [], childWatches: [],
                                       persistentWatches: ["/p"], persistentRecursiveWatches: ["/r", "/s"])),
        .sasl([1, 2]),
        .getEphemerals(PathRecord(path: "/")),
        .getAllChildrenNumber(PathRecord(path: "/")),
        .addWatch(PathTypeRequest(path: "/w", type: 1)),
        .whoAmI,
        .closeSession,
    ]

    @Test("every request opcode decodes to what was encoded", arguments: requests)
    func requestRoundTrip(_ request: ZooKeeperRequest) throws {
        var b = ByteBuffer()
        b.writeRequestFrame(xid: 7, request)
        var frame = try #require(try Framing.readFrame(from: &b, maxFrameLength: Framing.defaultMaxBuffer))
        #expect(b.readableBytes == 0)
        let header = try RequestHeader(jute: &frame)
        #expect(header.xid == 7)
        #expect(header.type == request.opCode.rawValue)
        let decoded = try ZooKeeperRequest.decode(type: header.type, from: &frame)
        #expect(decoded == request)
        #expect(frame.readableBytes == 0)
    }

    static let responses: [(OpCode, ZooKeeperResponse)] = [
        (.create, .create(path: "/a0000000001")),
        (.create2, .create2(path: "/b", stat: stat)),
        (.createTTL, .create2(path: "/t", stat: stat)),
        (.exists, .stat(stat)),
        (.setData, .stat(stat)),
        (.getData, .getData(data: [0, 255], stat: stat)),
        // reconfig answers a GetDataResponse: the new configuration and its Stat.
        (.reconfig, .getData(data: Array("server.1=h:1:2:participant;0.0.0.0:3\nversion=1".utf8), stat: stat)),
        (.getChildren, .children(["x", "y"])),
        (.getChildren2, .children2(children: [], stat: stat)),
        (.getACL, .acl(acl: acls, stat: stat)),
        (.sync, .sync(path: "/")),
        (.multi, .multi([.create(path: "/m"), .create2(path: "/n", stat: stat), .setData(stat), .check, .delete, .error(-101)])),
        (.multiRead, .multi([.getData(data: [1], stat: stat), .getChildren(["c"]), .error(-101)])),
        (.getAllChildrenNumber, .allChildrenNumber(12)),
        (.getEphemerals, .ephemerals(["/e1", "/e2"])),
        (.whoAmI, .whoAmI([ClientInfo(authScheme: "ip", user: "127.0.0.1")])),
        (.delete, .empty),
        (.addWatch, .errorBody(0)),
    ]

    @Test("every response body decodes to what was encoded")
    func responseRoundTrip() throws {
        for (op, response) in Self.responses {
            var b = ByteBuffer()
            b.writeReplyFrame(ReplyHeader(xid: 1, zxid: 99, err: 0), response)
            var frame = try #require(try Framing.readFrame(from: &b, maxFrameLength: 1 << 20))
            let h = try ReplyHeader(jute: &frame)
            #expect(h == ReplyHeader(xid: 1, zxid: 99, err: 0))
            let decoded = try ZooKeeperResponse.decode(op: op, from: &frame)
            #expect(decoded == response, "op \(op)")
            #expect(frame.readableBytes == 0, "op \(op) left bytes")
        }
    }

    @Test("connect request without the trailing readOnly byte still decodes")
    func connectWithoutReadOnly() throws {
        let req = ConnectRequest(protocolVersion: 0, lastZxidSeen: 5, timeOut: 30000, sessionId: 0,
                                 passwd: [UInt8](repeating: 0, count: 16), readOnly: false, hasReadOnlyFlag: false)
        var b = ByteBuffer()
        req.write(jute: &b)
        #expect(b.readableBytes == 4 + 8 + 4 + 8 + 4 + 16)
        let decoded = try ConnectRequest(jute: &b)
        #expect(decoded == req)
        var withFlag = ByteBuffer()
        ConnectRequest(timeOut: 10, readOnly: true).write(jute: &withFlag)
        let d2 = try ConnectRequest(jute: &withFlag)
        #expect(d2.readOnly && d2.hasReadOnlyFlag)
    }

    @Test("ACL lists next to OPEN_ACL_UNSAFE decode exactly, and the shared one is only taken whole")
    func aclFastPath() throws {
        let lists: [[ACL]] = [
            ACL.openUnsafe, ACL.readUnsafe, ACL.creatorAll, [], Self.acls,
            [ACL(perms: .all, id: Id(scheme: "world", id: "anyonf"))],
            [ACL(perms: .all, id: .anyone), ACL(perms: .all, id: .anyone)],
        ]
        for list in lists {
            var b = ByteBuffer()
            b.writeJuteACLs(list)
            b.writeInteger(UInt8(0xEE))  // what follows must stay unread
            #expect(try b.readJuteACLs() == list)
            #expect(b.readableBytes == 1 && b.readInteger(as: UInt8.self) == 0xEE)
        }
        // Cut inside the recognised bytes: truncated, not recognised.
        var b = ByteBuffer()
        b.writeJuteACLs(ACL.openUnsafe)
        b.moveWriterIndex(to: b.writerIndex - 1)
        #expect(throws: (any Error).self) { try b.readJuteACLs() }
    }

    @Test("null buffers and strings (length -1) read as empty")
    func nullLengths() throws {
        var b = ByteBuffer()
        b.writeInteger(Int32(-1))
        b.writeInteger(Int32(-1))
        #expect(try b.readJuteBuffer() == [])
        #expect(try b.readJuteOptionalString() == nil)
    }
}

@Suite("framing rejects bad input")
struct FramingTests {
    @Test("negative and oversized lengths are errors, partial frames wait for more bytes")
    func lengths() throws {
        var neg = ByteBuffer()
        neg.writeInteger(Int32(-5))
        #expect(throws: FrameError.invalidLength(-5, max: 100)) { try Framing.readFrame(from: &neg, maxFrameLength: 100) }
        var big = ByteBuffer()
        big.writeInteger(Int32(101))
        #expect(throws: FrameError.invalidLength(101, max: 100)) { try Framing.readFrame(from: &big, maxFrameLength: 100) }
        var partial = ByteBuffer()
        partial.writeInteger(Int32(10))
        partial.writeBytes([1, 2, 3])
        #expect(try Framing.readFrame(from: &partial, maxFrameLength: 100) == nil)
        #expect(partial.readableBytes == 7)
        var short = ByteBuffer(bytes: [0, 0])
        #expect(try Framing.readFrame(from: &short, maxFrameLength: 100) == nil)
    }

    @Test("truncated bodies throw instead of reading garbage")
    func truncatedBodies() {
        var b = ByteBuffer()
        b.writeInteger(Int32(10))
        b.writeString("/ab")
        #expect(throws: JuteDecodingError.self) { try ZooKeeperRequest.decode(op: .getData, from: &b) }
        var v = ByteBuffer()
        v.writeInteger(Int32(1_000_000))
        #expect(throws: JuteDecodingError.self) { try v.readJuteStrings() }
    }

    @Test("unknown opcodes are reported, not guessed")
    func unknownOp() {
        var b = ByteBuffer()
        #expect(throws: JuteDecodingError.unknownOpCode(999)) { try ZooKeeperRequest.decode(type: 999, from: &b) }
    }
}
