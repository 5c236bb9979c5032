import NIOCore

/// Records that carry only a path: `GetACLRequest`, `SyncRequest`, `SyncResponse`,
/// `GetAllChildrenNumberRequest`, `GetEphemeralsRequest` (prefixPath), `CreateResponse`,
/// and `deleteContainer`'s body.
public struct PathRecord: JuteRecord, Hashable {
    public var path: String
    public init(path: String) { self.path = path }
    public init(jute b: inout ByteBuffer) throws { path = try b.readJuteString("path") }
    public func write(jute b: inout ByteBuffer) { b.writeJuteString(path) }
}

/// `{ ustring path; boolean watch }`: `GetDataRequest`, `ExistsRequest`,
/// `GetChildrenRequest`, `GetChildren2Request`.
public struct PathWatchRequest: JuteRecord, Hashable {
    public var path: String
    public var watch: Bool
    public init(path: String, watch: Bool = false) { self.path = path; self.watch = watch }
    public init(jute b: inout ByteBuffer) throws {
        path = try b.readJuteString("path")
        watch = try b.readJuteBool("watch")
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteString(path)
        b.writeJuteBool(watch)
    }
}

/// `{ ustring path; int version }`: `DeleteRequest`, `CheckVersionRequest`.
public struct PathVersionRequest: JuteRecord, Hashable {
    public var path: String
    public var version: Int32
    public init(path: String, version: Int32 = -1) { self.path = path; self.version = version }
    public init(jute b: inout ByteBuffer) throws {
        path = try b.readJuteString("path")
        version = try b.readJuteInt("version")
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteString(path)
        b.writeJuteInt(version)
    }
}

/// `{ ustring path; int type }`: `CheckWatchesRequest`, `RemoveWatchesRequest`
/// (type is a `WatcherType`) and `AddWatchRequest` (mode is an `AddWatchMode`).
public struct PathTypeRequest: JuteRecord, Hashable {
    public var path: String
    public var type: Int32
    public init(path: String, type: Int32) { self.path = path; self.type = type }
    public init(jute b: inout ByteBuffer) throws {
        path = try b.readJuteString("path")
        type = try b.readJuteInt("type")
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteString(path)
        b.writeJuteInt(type)
    }
}

/// `{ Stat stat }`: `ExistsResponse`, `SetDataResponse`, `SetACLResponse`.
public struct StatResponse: JuteRecord, Hashable {
    public var stat: Stat
    public init(stat: Stat) { self.stat = stat }
    public init(jute b: inout ByteBuffer) throws { stat = try Stat(jute: &b) }
    public func write(jute b: inout ByteBuffer) { stat.write(jute: &b) }
}

/// `ErrorResponse { int err }` (inside multi responses).
public struct ErrorResponse: JuteRecord, Hashable {
    public var err: Int32
    public init(err: Int32) { self.err = err }
    public init(jute b: inout ByteBuffer) throws { err = try b.readJuteInt("ErrorResponse.err") }
    public func write(jute b: inout ByteBuffer) { b.writeJuteInt(err) }
}
