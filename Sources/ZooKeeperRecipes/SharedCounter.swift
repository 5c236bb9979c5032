import ZooKeeperClient
import ZooKeeperWire

/// A shared integer in Curator's `SharedCount` layout (4 bytes, big-endian), updated by
/// compare-and-set on the node's version.
public struct SharedCounter: Sendable {
    public let path: String
    public let client: ZooKeeperClient
    public let initialValue: Int32

    public init(client: ZooKeeperClient, path: String, initialValue: Int32 = 0) {
        self.client = client
        self.path = path
        self.initialValue = initialValue
    }

    /// The value and the version a `trySet` must name.
    public func get() async throws -> (value: Int32, version: Int32) {
        do {
            let node = try await client.getData(path)
            return (Self.decode(node.data), node.stat.version)
        } catch let e as ZooKeeperError where e.code == .noNode {
            do {
                try await client.create(path, data: Self.encode(initialValue))
            } catch let e as ZooKeeperError where e.code == .nodeExists {}
            return try await get()
        }
    }

    /// Sets `value` if nobody changed the counter since `version`; false if someone did.
    public func trySet(_ value: Int32, expectedVersion version: Int32) async throws -> Bool {
        do {
            try await client.setData(path, data: Self.encode(value), version: version)
            return true
        } catch let e as ZooKeeperError where e.code == .badVersion {
            return false
        }
    }

    /// Adds `delta` with a compare-and-set loop; returns the new value.
    @discardableResult
    public func increment(by delta: Int32 = 1) async throws -> Int32 {
        while true {
            let (value, version) = try await get()
            if try await trySet(value &+ delta, expectedVersion: version) { return value &+ delta }
        }
    }

    static func encode(_ v: Int32) -> [UInt8] {
        withUnsafeBytes(of: v.bigEndian) { Array($0) }
    }

    static func decode(_ bytes: [UInt8]) -> Int32 {
        guard bytes.count == 4 else { return 0 }
        return bytes.reduce(0) { ($0 << 8) | Int32($1) }
    }
}
