import NIOCore

/// `RequestHeader { int xid; int type }`.
public struct RequestHeader: JuteRecord, Hashable {
    public var xid: Int32
    public var type: Int32
    public init(xid: Int32, type: Int32) { self.xid = xid; self.type = type }
    public init(xid: Int32, op: OpCode) { self.init(xid: xid, type: op.rawValue) }
    public init(jute b: inout ByteBuffer) throws {
        xid = try b.readJuteInt("RequestHeader.xid")
        type = try b.readJuteInt("RequestHeader.type")
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteInt(xid)
        b.writeJuteInt(type)
    }
}

/// `ReplyHeader { int xid; long zxid; int err }`.
public struct ReplyHeader: JuteRecord, Hashable {
    public var xid: Int32
    public var zxid: Int64
    public var err: Int32
    public init(xid: Int32, zxid: Int64, err: Int32 = 0) { self.xid = xid; self.zxid = zxid; self.err = err }
    public init(xid: Int32, zxid: Int64, error: ErrorCode) { self.init(xid: xid, zxid: zxid, err: error.rawValue) }
    public init(jute b: inout ByteBuffer) throws {
        xid = try b.readJuteInt("ReplyHeader.xid")
        zxid = try b.readJuteLong("ReplyHeader.zxid")
        err = try b.readJuteInt("ReplyHeader.err")
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteInt(xid)
        b.writeJuteLong(zxid)
        b.writeJuteInt(err)
    }
    public static let encodedSize = 16
}

/// `MultiHeader { int type; boolean done; int err }`.
public struct MultiHeader: JuteRecord, Hashable {
    public var type: Int32
    public var done: Bool
    public var err: Int32
    public init(type: Int32, done: Bool, err: Int32) { self.type = type; self.done = done; self.err = err }
    public init(jute b: inout ByteBuffer) throws {
        type = try b.readJuteInt("MultiHeader.type")
        done = try b.readJuteBool("MultiHeader.done")
        err = try b.readJuteInt("MultiHeader.err")
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteInt(type)
        b.writeJuteBool(done)
        b.writeJuteInt(err)
    }
    /// The terminator of a multi request or response.
    public static let end = MultiHeader(type: -1, done: true, err: -1)
}

/// `WatcherEvent { int type; int state; ustring path }`, sent with xid -1.
public struct WatcherEvent: JuteRecord, Hashable {
    public var type: Int32
    public var state: Int32
    public var path: String
    public init(type: EventType, state: KeeperState = .syncConnected, path: String) {
        self.type = type.rawValue; self.state = state.rawValue; self.path = path
    }
    public init(jute b: inout ByteBuffer) throws {
        type = try b.readJuteInt("WatcherEvent.type")
        state = try b.readJuteInt("WatcherEvent.state")
        path = try b.readJuteString("WatcherEvent.path")
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteInt(type)
        b.writeJuteInt(state)
        b.writeJuteString(path)
    }
    public var eventType: EventType? { EventType(rawValue: type) }
}
