import NIOCore

/// An identity: `Id { ustring scheme; ustring id }`.
public struct Id: JuteRecord, Hashable {
    public var scheme: String
    public var id: String
    public init(scheme: String, id: String) { self.scheme = scheme; self.id = id }
    public init(jute b: inout ByteBuffer) throws {
        scheme = try b.readJuteString("Id.scheme")
        id = try b.readJuteString("Id.id")
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteString(scheme)
        b.writeJuteString(id)
    }

    public static let anyone = Id(scheme: "world", id: "anyone")
    public static let authIds = Id(scheme: "auth", id: "")
}

/// `ACL { int perms; Id id }`.
public struct ACL: JuteRecord, Hashable {
    public var perms: Permissions
    public var id: Id
    public init(perms: Permissions, id: Id) { self.perms = perms; self.id = id }
    public init(jute b: inout ByteBuffer) throws {
        perms = Permissions(rawValue: try b.readJuteInt("ACL.perms"))
        id = try Id(jute: &b)
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteInt(perms.rawValue)
        id.write(jute: &b)
    }

    /// `ZooDefs.Ids.OPEN_ACL_UNSAFE`.
    public static let openUnsafe: [ACL] = [ACL(perms: .all, id: .anyone)]
    /// `openUnsafe` as a jute `vector<ACL>`.
    static let openUnsafeJute: [UInt8] = {
        var b = ByteBuffer()
        b.writeJuteACLs(openUnsafe)
        return Array(b.readableBytesView)
    }()
    /// `ZooDefs.Ids.CREATOR_ALL_ACL`.
    public static let creatorAll: [ACL] = [ACL(perms: .all, id: .authIds)]
    /// `ZooDefs.Ids.READ_ACL_UNSAFE`.
    public static let readUnsafe: [ACL] = [ACL(perms: .read, id: .anyone)]
}

extension ByteBuffer {
    public mutating func readJuteACLs(_ field: StaticString = "vector<ACL>") throws -> [ACL] {
        // Nearly every request carries OPEN_ACL_UNSAFE: recognise its bytes and share one
        // array instead of allocating an array and two strings per request.
        let open = ACL.openUnsafeJute
        if readableBytes >= open.count,
           withUnsafeReadableBytes({ raw in open.withUnsafeBytes { $0.elementsEqual(raw.prefix(open.count)) } }) {
            moveReaderIndex(forwardBy: open.count)
            return ACL.openUnsafe
        }
        return try readJuteVector(field) { try ACL(jute: &$0) }
    }
    @discardableResult
    public mutating func writeJuteACLs(_ acls: [ACL]) -> Int {
        writeJuteVector(acls) { $1.write(jute: &$0) }
    }
}

/// `Stat`: the metadata of a znode as clients see it.
public struct Stat: JuteRecord, Hashable {
    public var czxid: Int64
    public var mzxid: Int64
    public var ctime: Int64
    public var mtime: Int64
    public var version: Int32
    public var cversion: Int32
    public var aversion: Int32
    public var ephemeralOwner: Int64
    public var dataLength: Int32
    public var numChildren: Int32
    public var pzxid: Int64

    public init(
        czxid: Int64 = 0, mzxid: Int64 = 0, ctime: Int64 = 0, mtime: Int64 = 0,
        version: Int32 = 0, cversion: Int32 = 0, aversion: Int32 = 0, ephemeralOwner: Int64 = 0,
        dataLength: Int32 = 0, numChildren: Int32 = 0, pzxid: Int64 = 0
    ) {
        self.czxid = czxid; self.mzxid = mzxid; self.ctime = ctime; self.mtime = mtime
        self.version = version; self.cversion = cversion; self.aversion = aversion
        self.ephemeralOwner = ephemeralOwner; self.dataLength = dataLength
        self.numChildren = numChildren; self.pzxid = pzxid
    }

    public init(jute b: inout ByteBuffer) throws {
        czxid = try b.readJuteLong("Stat.czxid")
        mzxid = try b.readJuteLong("Stat.mzxid")
        ctime = try b.readJuteLong("Stat.ctime")
        mtime = try b.readJuteLong("Stat.mtime")
        version = try b.readJuteInt("Stat.version")
        cversion = try b.readJuteInt("Stat.cversion")
        aversion = try b.readJuteInt("Stat.aversion")
        ephemeralOwner = try b.readJuteLong("Stat.ephemeralOwner")
        dataLength = try b.readJuteInt("Stat.dataLength")
        numChildren = try b.readJuteInt("Stat.numChildren")
        pzxid = try b.readJuteLong("Stat.pzxid")
    }

    public func write(jute b: inout ByteBuffer) {
        // In every reply of most reads and writes: one reservation, eleven plain stores.
        b.writeWithUnsafeMutableBytes(minimumWritableBytes: 68) { raw in
            var o = 0
            @inline(__always) func long(_ v: Int64) {
                raw.storeBytes(of: UInt64(bitPattern: v).bigEndian, toByteOffset: o, as: UInt64.self); o += 8
            }
            @inline(__always) func int(_ v: Int32) {
                raw.storeBytes(of: UInt32(bitPattern: v).bigEndian, toByteOffset: o, as: UInt32.self); o += 4
            }
            long(czxid); long(mzxid); long(ctime); long(mtime)
            int(version); int(cversion); int(aversion)
            long(ephemeralOwner)
            int(dataLength); int(numChildren)
            long(pzxid)
            return o
        }
    }

    /// Size of a Stat on the wire.
    public static let encodedSize = 68
}

/// `ClientInfo { ustring authScheme; ustring user }` (whoAmI).
public struct ClientInfo: JuteRecord, Hashable {
    public var authScheme: String
    public var user: String
    public init(authScheme: String, user: String) { self.authScheme = authScheme; self.user = user }
    public init(jute b: inout ByteBuffer) throws {
        authScheme = try b.readJuteString("ClientInfo.authScheme")
        user = try b.readJuteString("ClientInfo.user")
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteString(authScheme)
        b.writeJuteString(user)
    }
}
