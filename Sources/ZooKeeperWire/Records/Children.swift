import NIOCore

/// `GetChildrenResponse { vector<ustring> children }`, also `GetEphemeralsResponse`.
public struct StringListResponse: JuteRecord, Hashable {
    public var strings: [String]
    public init(_ strings: [String]) { self.strings = strings }
    public init(jute b: inout ByteBuffer) throws { strings = try b.readJuteStrings() }
    public func write(jute b: inout ByteBuffer) { b.writeJuteStrings(strings) }
}

/// `GetChildren2Response { vector<ustring> children; Stat stat }`.
public struct GetChildren2Response: JuteRecord, Hashable {
    public var children: [String]
    public var stat: Stat
    public init(children: [String], stat: Stat) { self.children = children; self.stat = stat }
    public init(jute b: inout ByteBuffer) throws {
        children = try b.readJuteStrings("GetChildren2Response.children")
        stat = try Stat(jute: &b)
    }
    public func write(jute b: inout ByteBuffer) {
        b.writeJuteStrings(children)
        stat.write(jute: &b)
    }
}
