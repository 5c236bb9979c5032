import NIOCore

/// `CreateRequest { ustring path; buffer data; vector<ACL> acl; int flags }` (create, create2,
/// createContainer) and `CreateTTLRequest` (the same plus `long ttl`, createTTL).
public struct CreateRequest: Hashable, Sendable {
    public var path: String
    /// nil is ZooKeeper's null data (jute length -1), kept apart from empty.
    public var data: [UInt8]?
    public var acl: [ACL]
    public var flags: Int32
    /// Only encoded for `createTTL`; 0 otherwise.
    public var ttl: Int64

    public init(path: String, data: [UInt8]? = [], acl: [ACL] = ACL.openUnsafe, flags: Int32 = 0, ttl: Int64 = 0) {
        self.path = path; self.data = data; self.acl = acl; self.flags = flags; self.ttl = ttl
    }

    public init(jute b: inout ByteBuffer, withTTL: Bool) throws {
        path = try b.readJuteString("CreateRequest.path")
        data = try b.readJuteOptionalBuffer("CreateRequest.data")
        acl = try b.readJuteACLs("CreateRequest.acl")
        flags = try b.readJuteInt("CreateRequest.flags")
        ttl = withTTL ? try b.readJuteLong("CreateTTLRequest.ttl") : 0
    }

    public func write(jute b: inout ByteBuffer, withTTL: Bool) {
        b.writeJuteString(path)
        b.writeJuteOptionalBuffer(data)
        b.writeJuteACLs(acl)
        b.writeJuteInt(flags)
        if withTTL { b.writeJuteLong(ttl) }
    }

    public var mode: CreateMode? { CreateMode(rawValue: flags) }
}

/// `Create2Response { ustring path; Stat stat }`.
public struct Create2Response: JuteRecord, Hashable {
    public var path: String
    public var stat: Stat
    public init(path: String, stat: Stat) { self.path = path; self.stat = stat }
    public init(jute b: inout ByteBuffer) throws {
        path = try b.readJuteString("Create2Response.path")
        stat = try Stat(jute: &b)
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteString(path)
        stat.write(jute: &b)
    }
}
