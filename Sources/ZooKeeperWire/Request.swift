import NIOCore

/// Every client request body, keyed by its opcode. The `RequestHeader` travels separately.
public enum ZooKeeperRequest: Hashable, Sendable {
    case create(CreateRequest)
    case create2(CreateRequest)
    case createContainer(CreateRequest)
    case createTTL(CreateRequest)
    case delete(PathVersionRequest)
    case deleteContainer(PathRecord)
    case exists(PathWatchRequest)
    case getData(PathWatchRequest)
    case setData(SetDataRequest)
    case getACL(PathRecord)
    case setACL(SetACLRequest)
    case getChildren(PathWatchRequest)
    case getChildren2(PathWatchRequest)
    case sync(PathRecord)
    case ping
    case check(PathVersionRequest)
    case multi([ZooKeeperRequest])
    case multiRead([ZooKeeperRequest])
    case reconfig(ReconfigRequest)
    case checkWatches(PathTypeRequest)
    case removeWatches(PathTypeRequest)
    case auth(AuthPacket)
    case setWatches(SetWatchesRequest)
    case setWatches2(SetWatchesRequest)
    case sasl([UInt8])
    case getEphemerals(PathRecord)
    case getAllChildrenNumber(PathRecord)
    case addWatch(PathTypeRequest)
    case whoAmI
    case closeSession

    public var opCode: OpCode {
        switch self {
        case .create: .create
        case .create2: .create2
        case .createContainer: .createContainer
        case .createTTL: .createTTL
        case .delete: .delete
        case .deleteContainer: .deleteContainer
        case .exists: .exists
        case .getData: .getData
        case .setData: .setData
        case .getACL: .getACL
        case .setACL: .setACL
        case .getChildren: .getChildren
        case .getChildren2: .getChildren2
        case .sync: .sync
        case .ping: .ping
        case .check: .check
        case .multi: .multi
        case .multiRead: .multiRead
        case .reconfig: .reconfig
        case .checkWatches: .checkWatches
        case .removeWatches: .removeWatches
        case .auth: .auth
        case .setWatches: .setWatches
        case .setWatches2: .setWatches2
        case .sasl: .sasl
        case .getEphemerals: .getEphemerals
        case .getAllChildrenNumber: .getAllChildrenNumber
        case .addWatch: .addWatch
        case .whoAmI: .whoAmI
        case .closeSession: .closeSession
        }
    }

    /// The path the request names, if any (for logging, 4lw and ACL checks).
    public var path: String? {
        switch self {
        case .create(let r), .create2(let r), .createContainer(let r), .createTTL(let r): r.path
        case .delete(let r), .check(let r): r.path
        case .deleteContainer(let r), .getACL(let r), .sync(let r), .getEphemerals(let r), .getAllChildrenNumber(let r): r.path
        case .exists(let r), .getData(let r), .getChildren(let r), .getChildren2(let r): r.path
        case .setData(let r): r.path
        case .setACL(let r): r.path
        case .checkWatches(let r), .removeWatches(let r), .addWatch(let r): r.path
        default: nil
        }
    }

    /// Decodes the body of a request whose header carried `type`.
    public static func decode(type: Int32, from b: inout ByteBuffer) throws -> ZooKeeperRequest {
        guard let op = OpCode(rawValue: type) else { throw JuteDecodingError.unknownOpCode(type) }
        return try decode(op: op, from: &b)
    }

    public static func decode(op: OpCode, from b: inout ByteBuffer) throws -> ZooKeeperRequest {
        switch op {
        case .create: return .create(try CreateRequest(jute: &b, withTTL: false))
        case .create2: return .create2(try CreateRequest(jute: &b, withTTL: false))
        case .createContainer: return .createContainer(try CreateRequest(jute: &b, withTTL: false))
        case .createTTL: return .createTTL(try CreateRequest(jute: &b, withTTL: true))
        case .delete: return .delete(try PathVersionRequest(jute: &b))
        case .deleteContainer: return .deleteContainer(try PathRecord(jute: &b))
        case .exists: return .exists(try PathWatchRequest(jute: &b))
        case .getData: return .getData(try PathWatchRequest(jute: &b))
        case .setData: return .setData(try SetDataRequest(jute: &b))
        case .getACL: return .getACL(try PathRecord(jute: &b))
        case .setACL: return .setACL(try SetACLRequest(jute: &b))
        case .getChildren: return .getChildren(try PathWatchRequest(jute: &b))
        case .getChildren2: return .getChildren2(try PathWatchRequest(jute: &b))
        case .sync: return .sync(try PathRecord(jute: &b))
        case .ping: return .ping
        case .check: return .check(try PathVersionRequest(jute: &b))
        case .multi: return .multi(try decodeMulti(from: &b))
        case .multiRead: return .multiRead(try decodeMulti(from: &b))
        case .reconfig: return .reconfig(try ReconfigRequest(jute: &b))
        case .checkWatches: return .checkWatches(try PathTypeRequest(jute: &b))
        case .removeWatches: return .removeWatches(try PathTypeRequest(jute: &b))
        case .auth: return .auth(try AuthPacket(jute: &b))
        case .setWatches: return .setWatches(try SetWatchesRequest(jute: &b, version2: false))
        case .setWatches2: return .setWatches2(try SetWatchesRequest(jute: &b, version2: true))
        case .sasl: return .sasl(try b.readJuteBuffer("GetSASLRequest.token"))
        case .getEphemerals: return .getEphemerals(try PathRecord(jute: &b))
        case .getAllChildrenNumber: return .getAllChildrenNumber(try PathRecord(jute: &b))
        case .addWatch: return .addWatch(try PathTypeRequest(jute: &b))
        case .whoAmI: return .whoAmI
        case .closeSession: return .closeSession
        case .notification, .createSession, .error: throw JuteDecodingError.unknownOpCode(op.rawValue)
        }
    }

    /// Multi bodies: `(MultiHeader, op)*` then `MultiHeader{-1, true, -1}`.
    static func decodeMulti(from b: inout ByteBuffer) throws -> [ZooKeeperRequest] {
        var ops: [ZooKeeperRequest] = []
        while true {
            let h = try MultiHeader(jute: &b)
            if h.done { return ops }
            guard let op = OpCode(rawValue: h.type) else { throw JuteDecodingError.unknownOpCode(h.type) }
            switch op {
            case .create, .create2, .createContainer, .createTTL, .delete, .deleteContainer, .setData, .check, .getData, .getChildren:
                ops.append(try decode(op: op, from: &b))
            default:
                throw JuteDecodingError.unknownOpCode(h.type)
            }
        }
    }

    /// Writes the body (not the header).
    public func write(jute b: inout ByteBuffer) {
        switch self {
        case .create(let r), .create2(let r), .createContainer(let r): r.write(jute: &b, withTTL: false)
        case .createTTL(let r): r.write(jute: &b, withTTL: true)
        case .delete(let r), .check(let r): r.write(jute: &b)
        case .deleteContainer(let r), .getACL(let r), .sync(let r), .getEphemerals(let r), .getAllChildrenNumber(let r): r.write(jute: &b)
        case .exists(let r), .getData(let r), .getChildren(let r), .getChildren2(let r): r.write(jute: &b)
        case .setData(let r): r.write(jute: &b)
        case .setACL(let r): r.write(jute: &b)
        case .ping, .whoAmI, .closeSession: break
        case .multi(let ops), .multiRead(let ops):
            for op in ops {
                MultiHeader(type: op.opCode.rawValue, done: false, err: -1).write(jute: &b)
                op.write(jute: &b)
            }
            MultiHeader.end.write(jute: &b)
        case .reconfig(let r): r.write(jute: &b)
        case .checkWatches(let r), .removeWatches(let r), .addWatch(let r): r.write(jute: &b)
        case .auth(let r): r.write(jute: &b)
        case .setWatches(let r): r.write(jute: &b, version2: false)
        case .setWatches2(let r): r.write(jute: &b, version2: true)
        case .sasl(let token): b.writeJuteBuffer(token)
        }
    }

    /// Whether the request changes state (goes through the write path / log).
    public var isWrite: Bool {
        switch opCode {
        case .create, .create2, .createContainer, .createTTL, .delete, .deleteContainer, .setData, .setACL,
             .check, .multi, .reconfig, .closeSession, .createSession, .error:
            true
        default:
            false
        }
    }
}
