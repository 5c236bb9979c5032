import Testing
import ZNodeStore
import ZooKeeperWire

/// ZooKeeper keeps null znode data (a -1 buffer in create/setData) apart from empty data:
/// getData answers null, the stat's dataLength is 0; snapshots keep the difference.
@Suite("null znode data")
struct NullDataTests {
    func rawData(_ h: Harness, _ path: String) -> [UInt8]?? {
        if case .getData(let d, _)? = h.read(.getData(PathWatchRequest(path: path))).response { return .some(d) }
        return .none
    }

    @Test func nullIsKeptApartFromEmpty() {
        let h = Harness()
        h.apply(.create(CreateRequest(path: "/null", data: nil)))
        h.create("/empty")
        #expect(rawData(h, "/null") == .some(nil))
        #expect(rawData(h, "/empty") == .some([]))
        #expect(h.stat("/null")?.dataLength == 0)
        h.setData("/null", "x")
        #expect(rawData(h, "/null") == .some(Array("x".utf8)))
        h.apply(.setData(SetDataRequest(path: "/null", data: nil)))
        #expect(rawData(h, "/null") == .some(nil))
        #expect(h.stat("/null")?.version == 2)
        h.apply(.setData(SetDataRequest(path: "/empty", data: nil)))
        #expect(rawData(h, "/empty") == .some(nil))
    }

    @Test func aFailedMultiRestoresNullData() {
        let h = Harness()
        h.apply(.create(CreateRequest(path: "/a", data: nil)))
        h.apply(.multi([.setData(SetDataRequest(path: "/a", data: [1])), .check(PathVersionRequest(path: "/a", version: 7))]))
        #expect(rawData(h, "/a") == .some(nil))
        h.apply(.multi([.create(CreateRequest(path: "/b", data: nil)), .setData(SetDataRequest(path: "/a", data: []))]))
        #expect(rawData(h, "/b") == .some(nil))
        #expect(rawData(h, "/a") == .some([]))
    }

    @Test func snapshotsKeepNullData() throws {
        let h = Harness()
        h.apply(.create(CreateRequest(path: "/null", data: nil)))
        h.create("/empty")
        h.create("/full", "data")
        let bytes = h.store.serializeSnapshot()
        let store = try ZNodeStore.deserialize(bytes, config: ZNodeStoreConfig())
        #expect(store.serializeSnapshot() == bytes)
        for (path, want) in [("/null", nil), ("/empty", []), ("/full", Array("data".utf8))] as [(String, [UInt8]?)] {
            if case .getData(let d, _)? = store.read(.getData(PathWatchRequest(path: path)), sessionId: 0, auth: AuthContext()).response {
                #expect(d == want, "\(path)")
            } else {
                Issue.record("no data for \(path)")
            }
        }
    }

    @Test func versionOneSnapshotsStillLoad() throws {
        // A version-1 snapshot has the same layout without the null marker (and, without
        // sessions, without version 3's session owners): a store without null data or
        // sessions, relabelled as version 1, must load to the same state.
        let h = Harness()
        h.create("/a", "x")
        h.create("/a/b")
        var bytes = h.store.serializeSnapshot()
        #expect(Array(bytes[8..<12]) == [0, 0, 0, 3])
        bytes[11] = 1
        let store = try ZNodeStore.deserialize(bytes, config: ZNodeStoreConfig())
        #expect(store.serializeSnapshot() == h.store.serializeSnapshot())
    }
}
