import NIOCore

/// `AuthPacket { int type; ustring scheme; buffer auth }`, sent with xid -4.
public struct AuthPacket: JuteRecord, Hashable {
    public var type: Int32
    public var scheme: String
    public var auth: [UInt8]
    public init(type: Int32 = 0, scheme: String, auth: [UInt8]) { self.type = type; self.scheme = scheme; self.auth = auth }
    public init(jute b: inout ByteBuffer) throws {
        type = try b.readJuteInt("AuthPacket.type")
        scheme = try b.readJuteString("AuthPacket.scheme")
        auth = try b.readJuteBuffer("AuthPacket.auth")
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteInt(type)
        b.writeJuteString(scheme)
        b.writeJuteBuffer(auth)
    }
}

/// `SetWatches` (op 101) and `SetWatches2` (op 105): watches a client re-registers after
/// reconnecting, with the last zxid it saw.
public struct SetWatchesRequest: Hashable, Sendable {
    public var relativeZxid: Int64
    public var dataWatches: [String]
    public var existWatches: [String]
    public var childWatches: [String]
    public var persistentWatches: [String]
    public var persistentRecursiveWatches: [String]

    public init(relativeZxid: Int64, dataWatches: [String] = [], existWatches: [String] = [], childWatches: [String] = [],
                persistentWatches: [String] = [], persistentRecursiveWatches: [String] = []) {
        self.relativeZxid = relativeZxid; self.dataWatches = dataWatches; self.existWatches = existWatches
        self.childWatches = childWatches; self.persistentWatches = persistentWatches
        self.persistentRecursiveWatches = persistentRecursiveWatches
    }

    public init(jute b: inout ByteBuffer, version2: Bool) throws {
        relativeZxid = try b.readJuteLong("SetWatches.relativeZxid")
        dataWatches = try b.readJuteStrings("SetWatches.dataWatches")
        existWatches = try b.readJuteStrings("SetWatches.existWatches")
        childWatches = try b.readJuteStrings("SetWatches.childWatches")
        if version2 {
            persistentWatches = try b.readJuteStrings("SetWatches2.persistentWatches")
            persistentRecursiveWatches = try b.readJuteStrings("SetWatches2.persistentRecursiveWatches")
        } else {
            persistentWatches = []
            persistentRecursiveWatches = []
        }
    }

    public func write(jute b: inout ByteBuffer, version2: Bool) {
        b.writeJuteLong(relativeZxid)
        b.writeJuteStrings(dataWatches)
        b.writeJuteStrings(existWatches)
        b.writeJuteStrings(childWatches)
        if version2 {
            b.writeJuteStrings(persistentWatches)
            b.writeJuteStrings(persistentRecursiveWatches)
        }
    }
}

/// `ReconfigRequest { ustring joiningServers; ustring leavingServers; ustring newMembers; long curConfigId }`.
public struct ReconfigRequest: JuteRecord, Hashable {
    public var joiningServers: String?
    public var leavingServers: String?
    public var newMembers: String?
    public var curConfigId: Int64
    public init(joiningServers: String?, leavingServers: String?, newMembers: String?, curConfigId: Int64 = -1) {
        self.joiningServers = joiningServers; self.leavingServers = leavingServers
        self.newMembers = newMembers; self.curConfigId = curConfigId
    }
    public init(jute b: inout ByteBuffer) throws {
        joiningServers = try b.readJuteOptionalString("ReconfigRequest.joiningServers")
        leavingServers = try b.readJuteOptionalString("ReconfigRequest.leavingServers")
        newMembers = try b.readJuteOptionalString("ReconfigRequest.newMembers")
        curConfigId = try b.readJuteLong("ReconfigRequest.curConfigId")
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteOptionalString(joiningServers)
        b.writeJuteOptionalString(leavingServers)
        b.writeJuteOptionalString(newMembers)
        b.writeJuteLong(curConfigId)
    }
}
