import NIOCore

/// One result inside a multi / multiRead response.
public enum MultiResult: Hashable, Sendable {
    case create(path: String)
    case create2(path: String, stat: Stat)
    case delete
    case setData(Stat)
    case check
    case getData(data: [UInt8]?, stat: Stat)
    case getChildren([String])
    case error(Int32)

    var opCode: OpCode {
        switch self {
        case .create: .create
        case .create2: .create2
        case .delete: .delete
        case .setData: .setData
        case .check: .check
        case .getData: .getData
        case .getChildren: .getChildren
        case .error: .error
        }
    }
}

/// Every response body. Errors travel in the `ReplyHeader` with no body.
public enum ZooKeeperResponse: Hashable, Sendable {
    /// No body: delete, check, ping, setWatches, closeSession, auth, removeWatches, checkWatches, addWatch.
    case empty
    /// `CreateResponse` (create).
    case create(path: String)
    /// `Create2Response` (create2, createContainer, createTTL).
    case create2(path: String, stat: Stat)
    /// `ExistsResponse`, `SetDataResponse`, `SetACLResponse`.
    case stat(Stat)
    case getData(data: [UInt8]?, stat: Stat)
    /// `GetChildrenResponse`.
    case children([String])
    case children2(children: [String], stat: Stat)
    case acl(acl: [ACL], stat: Stat)
    case sync(path: String)
    case multi([MultiResult])
    case allChildrenNumber(Int32)
    case ephemerals([String])
    case whoAmI([ClientInfo])
    /// An `ErrorResponse { int err }` body (ZooKeeper answers addWatch with one holding 0).
    case errorBody(Int32)

    public func write(jute b: inout ByteBuffer) {
        switch self {
        case .empty: break
        case .create(let path), .sync(let path): b.writeJuteString(path)
        case .create2(let path, let stat):
            b.writeJuteString(path)
            stat.write(jute: &b)
        case .stat(let stat): stat.write(jute: &b)
        case .getData(let data, let stat):
            b.writeJuteOptionalBuffer(data)
            stat.write(jute: &b)
        case .children(let c), .ephemerals(let c): b.writeJuteStrings(c)
        case .children2(let c, let stat):
            b.writeJuteStrings(c)
            stat.write(jute: &b)
        case .acl(let acl, let stat):
            b.writeJuteACLs(acl)
            stat.write(jute: &b)
        case .multi(let results):
            for r in results {
                let err: Int32 = if case .error(let e) = r { e } else { 0 }
                MultiHeader(type: r.opCode.rawValue, done: false, err: err).write(jute: &b)
                switch r {
                case .create(let path): b.writeJuteString(path)
                case .create2(let path, let stat):
                    b.writeJuteString(path)
                    stat.write(jute: &b)
                case .delete, .check: break
                case .setData(let stat): stat.write(jute: &b)
                case .getData(let data, let stat):
                    b.writeJuteOptionalBuffer(data)
                    stat.write(jute: &b)
                case .getChildren(let c): b.writeJuteStrings(c)
                case .error(let e): b.writeJuteInt(e)
                }
            }
            MultiHeader.end.write(jute: &b)
        case .allChildrenNumber(let n), .errorBody(let n): b.writeJuteInt(n)
        case .whoAmI(let infos): b.writeJuteVector(infos) { $1.write(jute: &$0) }
        }
    }

    /// Decodes a successful response body to a request of opcode `op` (the client side).
    public static func decode(op: OpCode, from b: inout ByteBuffer) throws -> ZooKeeperResponse {
        switch op {
        case .create: return .create(path: try b.readJuteString("CreateResponse.path"))
        case .create2, .createContainer, .createTTL:
            let r = try Create2Response(jute: &b)
            return .create2(path: r.path, stat: r.stat)
        case .exists, .setData, .setACL: return .stat(try Stat(jute: &b))
        case .getData, .reconfig:
            // reconfig answers a GetDataResponse: the new configuration's data and Stat.
            let r = try GetDataResponse(jute: &b)
            return .getData(data: r.data, stat: r.stat)
        case .getChildren: return .children(try b.readJuteStrings("GetChildrenResponse.children"))
        case .getChildren2:
            let r = try GetChildren2Response(jute: &b)
            return .children2(children: r.children, stat: r.stat)
        case .getACL:
            let r = try GetACLResponse(jute: &b)
            return .acl(acl: r.acl, stat: r.stat)
        case .sync: return .sync(path: try b.readJuteString("SyncResponse.path"))
        case .multi, .multiRead: return .multi(try decodeMulti(from: &b))
        case .getAllChildrenNumber: return .allChildrenNumber(try b.readJuteInt("GetAllChildrenNumberResponse.totalNumber"))
        case .getEphemerals: return .ephemerals(try b.readJuteStrings("GetEphemeralsResponse.ephemerals"))
        case .whoAmI: return .whoAmI(try b.readJuteVector("WhoAmIResponse.clientInfo") { try ClientInfo(jute: &$0) })
        case .addWatch: return .errorBody(try b.readJuteInt("ErrorResponse.err"))
        default: return .empty
        }
    }

    static func decodeMulti(from b: inout ByteBuffer) throws -> [MultiResult] {
        var results: [MultiResult] = []
        while true {
            let h = try MultiHeader(jute: &b)
            if h.done { return results }
            guard let op = OpCode(rawValue: h.type) else { throw JuteDecodingError.unknownOpCode(h.type) }
            switch op {
            case .create: results.append(.create(path: try b.readJuteString("CreateResponse.path")))
            case .create2:
                let r = try Create2Response(jute: &b)
                results.append(.create2(path: r.path, stat: r.stat))
            case .delete: results.append(.delete)
            case .check: results.append(.check)
            case .setData: results.append(.setData(try Stat(jute: &b)))
            case .getData:
                let r = try GetDataResponse(jute: &b)
                results.append(.getData(data: r.data, stat: r.stat))
            case .getChildren: results.append(.getChildren(try b.readJuteStrings()))
            case .error: results.append(.error(try b.readJuteInt("ErrorResponse.err")))
            default: throw JuteDecodingError.unknownOpCode(h.type)
            }
        }
    }
}
