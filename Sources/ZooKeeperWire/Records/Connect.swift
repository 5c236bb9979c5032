import NIOCore

/// The first frame of a connection:
/// `ConnectRequest { int protocolVersion; long lastZxidSeen; int timeOut; long sessionId; buffer passwd; boolean readOnly }`.
/// Old clients omit the trailing `readOnly` byte.
public struct ConnectRequest: JuteRecord, Hashable {
    public var protocolVersion: Int32
    public var lastZxidSeen: Int64
    public var timeOut: Int32
    public var sessionId: Int64
    public var passwd: [UInt8]
    public var readOnly: Bool
    /// Whether the client sent the trailing readOnly byte.
    public var hasReadOnlyFlag: Bool

    public init(protocolVersion: Int32 = 0, lastZxidSeen: Int64 = 0, timeOut: Int32, sessionId: Int64 = 0,
                passwd: [UInt8] = [UInt8](repeating: 0, count: 16), readOnly: Bool = false, hasReadOnlyFlag: Bool = true) {
        self.protocolVersion = protocolVersion; self.lastZxidSeen = lastZxidSeen; self.timeOut = timeOut
        self.sessionId = sessionId; self.passwd = passwd; self.readOnly = readOnly; self.hasReadOnlyFlag = hasReadOnlyFlag
    }

    public init(jute b: inout ByteBuffer) throws {
        protocolVersion = try b.readJuteInt("ConnectRequest.protocolVersion")
        lastZxidSeen = try b.readJuteLong("ConnectRequest.lastZxidSeen")
        timeOut = try b.readJuteInt("ConnectRequest.timeOut")
        sessionId = try b.readJuteLong("ConnectRequest.sessionId")
        passwd = try b.readJuteBuffer("ConnectRequest.passwd")
        if b.readableBytes > 0 {
            readOnly = try b.readJuteBool("ConnectRequest.readOnly")
            hasReadOnlyFlag = true
        } else {
            readOnly = false
            hasReadOnlyFlag = false
        }
    }

    public func write(jute b: inout ByteBuffer) {
        b.writeJuteInt(protocolVersion)
        b.writeJuteLong(lastZxidSeen)
        b.writeJuteInt(timeOut)
        b.writeJuteLong(sessionId)
        b.writeJuteBuffer(passwd)
        if hasReadOnlyFlag { b.writeJuteBool(readOnly) }
    }
}

/// `ConnectResponse { int protocolVersion; int timeOut; long sessionId; buffer passwd; boolean readOnly }`.
public struct ConnectResponse: JuteRecord, Hashable {
    public var protocolVersion: Int32
    public var timeOut: Int32
    public var sessionId: Int64
    public var passwd: [UInt8]
    public var readOnly: Bool

    public init(protocolVersion: Int32 = 0, timeOut: Int32, sessionId: Int64, passwd: [UInt8], readOnly: Bool = false) {
        self.protocolVersion = protocolVersion; self.timeOut = timeOut; self.sessionId = sessionId
        self.passwd = passwd; self.readOnly = readOnly
    }

    public init(jute b: inout ByteBuffer) throws {
        protocolVersion = try b.readJuteInt("ConnectResponse.protocolVersion")
        timeOut = try b.readJuteInt("ConnectResponse.timeOut")
        sessionId = try b.readJuteLong("ConnectResponse.sessionId")
        passwd = try b.readJuteBuffer("ConnectResponse.passwd")
        readOnly = b.readableBytes > 0 ? try b.readJuteBool("ConnectResponse.readOnly") : false
    }

    public func write(jute b: inout ByteBuffer) {
        b.writeJuteInt(protocolVersion)
        b.writeJuteInt(timeOut)
        b.writeJuteLong(sessionId)
        b.writeJuteBuffer(passwd)
        b.writeJuteBool(readOnly)
    }
}
