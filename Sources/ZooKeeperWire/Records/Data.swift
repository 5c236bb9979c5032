import NIOCore

/// `SetDataRequest { ustring path; buffer data; int version }`.
public struct SetDataRequest: JuteRecord, Hashable {
    public var path: String
    /// nil is ZooKeeper's null data (jute length -1), kept apart from empty.
    public var data: [UInt8]?
    public var version: Int32
    public init(path: String, data: [UInt8]?, version: Int32 = -1) { self.path = path; self.data = data; self.version = version }
    public init(jute b: inout ByteBuffer) throws {
        path = try b.readJuteString("SetDataRequest.path")
        data = try b.readJuteOptionalBuffer("SetDataRequest.data")
        version = try b.readJuteInt("SetDataRequest.version")
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteString(path)
        b.writeJuteOptionalBuffer(data)
        b.writeJuteInt(version)
    }
}

/// `GetDataResponse { buffer data; Stat stat }`.
public struct GetDataResponse: JuteRecord, Hashable {
    /// nil: the node's data is null (jute length -1), as ZooKeeper answers for a node
    /// created or set with null data.
    public var data: [UInt8]?
    public var stat: Stat
    public init(data: [UInt8]?, stat: Stat) { self.data = data; self.stat = stat }
    public init(jute b: inout ByteBuffer) throws {
        data = try b.readJuteOptionalBuffer("GetDataResponse.data")
        stat = try Stat(jute: &b)
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteOptionalBuffer(data)
        stat.write(jute: &b)
    }
}

/// `SetACLRequest { ustring path; vector<ACL> acl; int version }`.
public struct SetACLRequest: JuteRecord, Hashable {
    public var path: String
    public var acl: [ACL]
    public var version: Int32
    public init(path: String, acl: [ACL], version: Int32 = -1) { self.path = path; self.acl = acl; self.version = version }
    public init(jute b: inout ByteBuffer) throws {
        path = try b.readJuteString("SetACLRequest.path")
        acl = try b.readJuteACLs("SetACLRequest.acl")
        version = try b.readJuteInt("SetACLRequest.version")
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteString(path)
        b.writeJuteACLs(acl)
        b.writeJuteInt(version)
    }
}

/// `GetACLResponse { vector<ACL> acl; Stat stat }`.
public struct GetACLResponse: JuteRecord, Hashable {
    public var acl: [ACL]
    public var stat: Stat
    public init(acl: [ACL], stat: Stat) { self.acl = acl; self.stat = stat }
    public init(jute b: inout ByteBuffer) throws {
        acl = try b.readJuteACLs("GetACLResponse.acl")
        stat = try Stat(jute: &b)
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteACLs(acl)
        stat.write(jute: &b)
    }
}
