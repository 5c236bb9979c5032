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
        let current = h.store.serializeSnapshot()
        #expect(Array(current[8..<12]) == [0, 0, 0, 4])
        var bytes = try versionThreeLayout(current)
        for version: UInt8 in [3, 1] {
            bytes[11] = version
            let store = try ZNodeStore.deserialize(bytes, config: ZNodeStoreConfig())
            #expect(store.serializeSnapshot() == current, "version \(version)")
        }
    }

    /// A version-4 snapshot rewritten in version 3's layout: the ACL lists, inline at
    /// their first use since version 4, as a table after the sessions instead.
    func versionThreeLayout(_ v4: [UInt8]) throws -> [UInt8] {
        var i = 0
        func u32() -> UInt32 { defer { i += 4 }; return v4[i..<i + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        func skip(_ n: Int) -> ArraySlice<UInt8> { defer { i += n }; return v4[i..<i + n] }
        var head = Array(skip(20))  // magic, version, lastZxid
        head[11] = 3
        let sessions = u32()
        head += v4[i - 4..<i] + skip(Int(sessions) * 16)
        var table: [UInt8] = []
        var lists: UInt32 = 0
        var nodes: [UInt8] = []
        var open: [UInt32] = [1]  // children left to read, per open node (the root first)
        var isRoot = true
        while let last = open.last {
            if last == 0 { open.removeLast(); continue }
            open[open.count - 1] -= 1
            let start = i
            if !isRoot { _ = skip(Int(u32())) }
            isRoot = false
            _ = skip(6 * 8 + 3 * 4)
            let acl = u32()
            nodes += v4[start..<i]
            if acl == lists {
                let aclStart = i
                for _ in 0..<u32() { _ = skip(4); _ = skip(Int(u32())); _ = skip(Int(u32())) }
                table += v4[aclStart..<i]
                lists += 1
            }
            let dataStart = i
            let n = u32()
            if n != UInt32.max { _ = skip(Int(n)) }
            let children = u32()
            nodes += v4[dataStart..<i]
            open.append(children)
        }
        #expect(i == v4.count)
        return head + withUnsafeBytes(of: lists.bigEndian) { Array($0) } + table + nodes
    }
}
