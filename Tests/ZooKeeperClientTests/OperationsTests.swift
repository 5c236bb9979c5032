import Testing
import ZooKeeperClient
import ZooKeeperWire

@Suite("Client operations against a real server", .sharedServer)
struct OperationsTests {
    let b = TestSupport.bytes

    @Test("create, getData, setData, exists, delete round-trip with versions")
    func crud() async throws {
        let zk = try await TestSupport.connect(try SharedServer.server)
        defer { Task { await zk.close() } }
        let base = TestSupport.basePath()
        #expect(try await zk.create(base, data: b("root")) == base)
        let node = try await zk.getData(base)
        #expect(node.data == b("root"))
        #expect(node.stat.version == 0)
        #expect(node.stat.dataLength == 4)
        let stat = try await zk.setData(base, data: b("v1"), version: 0)
        #expect(stat.version == 1)
        #expect(stat.mzxid > stat.czxid)
        #expect(try await zk.exists(base)?.version == 1)
        #expect(try await zk.exists(base + "/missing") == nil)
        try await zk.delete(base, version: 1)
        #expect(try await zk.exists(base) == nil)
    }

    @Test("null data (data: nil) stays apart from empty data: create, setData, getData, multi")
    func nullData() async throws {
        let zk = try await TestSupport.connect(try SharedServer.server)
        defer { Task { await zk.close() } }
        let base = TestSupport.basePath()
        try await zk.create(base, data: nil)
        var node = try await zk.getData(base)
        #expect(node.isNull && node.value == nil && node.data == [] && node.stat.dataLength == 0)
        try await zk.create(base + "/empty")
        node = try await zk.getData(base + "/empty")
        #expect(!node.isNull && node.value == [])
        try await zk.setData(base + "/empty", data: nil)
        #expect(try await zk.getData(base + "/empty").isNull)
        try await zk.setData(base, data: [])
        #expect(try await zk.getData(base).value == [])
        _ = try await zk.multi([.create(path: base + "/m", data: nil), .setData(path: base, data: nil)])
        let reads = try await zk.multiRead([.getData(path: base + "/m"), .getData(path: base + "/empty"), .getData(path: base)])
        for r in reads {
            guard case .data(let d, let stat) = r else { Issue.record("\(r)"); continue }
            #expect(d == nil && stat.dataLength == 0)
        }
    }

    @Test("server error codes arrive as typed errors with ZooKeeper's codes")
    func errorCodes() async throws {
        let zk = try await TestSupport.connect(try SharedServer.server)
        defer { Task { await zk.close() } }
        let base = TestSupport.basePath()
        try await zk.create(base)
        try await zk.create(base + "/child")
        await expectCode(.noNode) { _ = try await zk.getData(base + "/nope") }
        await expectCode(.nodeExists) { try await zk.create(base) }
        await expectCode(.badVersion) { try await zk.setData(base, data: [], version: 7) }
        await expectCode(.notEmpty) { try await zk.delete(base) }
        await expectCode(.noNode) { try await zk.create(base + "/a/b") }
        try await zk.create(base + "/eph", options: .ephemeral)
        await expectCode(.noChildrenForEphemerals) { try await zk.create(base + "/eph/c") }
        await expectCode(.badArguments) { try await zk.create("no-slash") }
        do {
            _ = try await zk.getData(base + "/nope")
        } catch let error as ZooKeeperError {
            #expect(error.description == "KeeperErrorCode = NoNode for \(base)/nope")
            #expect(error.code.name == "NONODE")
        }
    }

    @Test("every create mode: sequential, ephemeral, container, TTL, create2 stat")
    func createModes() async throws {
        let zk = try await TestSupport.connect(try SharedServer.server)
        defer { Task { await zk.close() } }
        let base = TestSupport.basePath()
        try await zk.create(base)
        let s1 = try await zk.create(base + "/seq-", options: .persistentSequential)
        let s2 = try await zk.create(base + "/seq-", options: .ephemeralSequential)
        #expect(s1 == base + "/seq-0000000000")
        #expect(s2 == base + "/seq-0000000001")
        let (path, stat) = try await zk.createWithStat(base + "/e", data: b("xy"), options: .ephemeral)
        #expect(path == base + "/e")
        #expect(stat.ephemeralOwner == (await zk.sessionId))
        #expect(stat.dataLength == 2)
        let (cpath, cstat) = try await zk.createWithStat(base + "/c", options: .container)
        #expect(cpath == base + "/c")
        #expect(cstat.version == 0)
        let tpath = try await zk.create(base + "/ttl", options: .ttl(60_000))
        #expect(tpath == base + "/ttl")
        let ts = try await zk.create(base + "/ttls-", options: .ttl(60_000, sequential: true))
        #expect(ts.hasPrefix(base + "/ttls-"))
        let eph = try await zk.getEphemerals(base)
        #expect(Set(eph) == [base + "/seq-0000000001", base + "/e"])
        #expect(try await zk.getAllChildrenNumber(base) == 6)
    }

    @Test("children with and without stat")
    func children() async throws {
        let zk = try await TestSupport.connect(try SharedServer.server)
        defer { Task { await zk.close() } }
        let base = TestSupport.basePath()
        try await zk.create(base)
        for name in ["a", "b", "c"] { try await zk.create(base + "/" + name) }
        #expect(Set(try await zk.getChildren(base)) == ["a", "b", "c"])
        let (children, stat, _) = try await zk.getChildrenWithStat(base)
        #expect(children.count == 3)
        #expect(stat.numChildren == 3)
        #expect(stat.cversion == 3)
    }

    @Test("ACLs: getACL, setACL with version, digest auth, whoAmI, NOAUTH")
    func aclAndAuth() async throws {
        let server = try SharedServer.server
        let zk = try await TestSupport.connect(server)
        let other = try await TestSupport.connect(server)
        defer { Task { await zk.close(); await other.close() } }
        let base = TestSupport.basePath()
        try await zk.create(base)
        let (acl, _) = try await zk.getACL(base)
        #expect(acl == ACL.openUnsafe)
        try await zk.addDigestAuth(user: "alice", password: "secret")
        let who = try await zk.whoAmI()
        #expect(who.contains(ClientInfo(authScheme: "digest", user: "alice")))
        #expect(who.contains { $0.authScheme == "ip" })
        let stat = try await zk.setACL(base, acl: ACL.creatorAll, version: 0)
        #expect(stat.aversion == 1)
        let (acl2, _) = try await zk.getACL(base)
        #expect(acl2.count == 1)
        #expect(acl2[0].id.scheme == "digest")
        #expect(acl2[0].id.id.hasPrefix("alice:"))
        await expectCode(.noAuth) { _ = try await other.getData(base) }
        await expectCode(.badVersion) { try await zk.setACL(base, acl: ACL.openUnsafe, version: 0) }
        try await other.addDigestAuth(user: "alice", password: "secret")
        #expect(try await other.getData(base).data == [])
    }

    @Test("multi: success results, atomic failure with per-op codes; multiRead")
    func multi() async throws {
        let zk = try await TestSupport.connect(try SharedServer.server)
        defer { Task { await zk.close() } }
        let base = TestSupport.basePath()
        try await zk.create(base)
        let results = try await zk.multi([
            .create(path: base + "/a", data: b("A")),
            .create(path: base + "/s-", options: .persistentSequential),
            .setData(path: base + "/a", data: b("A2"), version: 0),
            .check(path: base + "/a", version: 1),
            .delete(path: base + "/s-0000000001"),
        ])
        #expect(results.count == 5)
        #expect(results[0] == .created(path: base + "/a", stat: nil))
        #expect(results[1] == .created(path: base + "/s-0000000001", stat: nil))
        guard case .setData(let st) = results[2] else { Issue.record("setData result: \(results[2])"); return }
        #expect(st.version == 1)
        #expect(results[3] == .checked)
        #expect(results[4] == .deleted)
        do {
            try await zk.multi([.create(path: base + "/b"), .check(path: base + "/a", version: 9), .create(path: base + "/c")])
            Issue.record("multi should fail")
        } catch let error as ZooKeeperError {
            #expect(error.code == .badVersion)
            #expect(error.path == base + "/a")
            #expect(error.results == [.error(.ok), .error(.badVersion), .error(.runtimeInconsistency)])
        }
        #expect(try await zk.exists(base + "/b") == nil)
        let reads = try await zk.multiRead([.getData(path: base + "/a"), .getChildren(path: base + "/nope"), .getChildren(path: base)])
        guard case .data(let data, _) = reads[0] else { Issue.record("getData result: \(reads[0])"); return }
        #expect(data == b("A2"))
        #expect(reads[1] == .error(.noNode))
        #expect(reads[2] == .children(["a"]))
    }

    @Test("sync answers with the path")
    func sync() async throws {
        let zk = try await TestSupport.connect(try SharedServer.server)
        defer { Task { await zk.close() } }
        let base = TestSupport.basePath()
        try await zk.create(base)
        #expect(try await zk.sync(base) == base)
    }

    @Test("pipelining: 500 concurrent requests on one connection all succeed in order")
    func pipelining() async throws {
        let zk = try await TestSupport.connect(try SharedServer.server)
        defer { Task { await zk.close() } }
        let base = TestSupport.basePath()
        try await zk.create(base)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<500 {
                group.addTask { try await zk.create("\(base)/n\(i)", data: Array("\(i)".utf8)) }
            }
            try await group.waitForAll()
        }
        #expect(try await zk.getChildren(base).count == 500)
        let datas = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for i in 0..<500 { group.addTask { (i, try await zk.getData("\(base)/n\(i)").data) } }
            var out: [Int: [UInt8]] = [:]
            for try await (i, d) in group { out[i] = d }
            return out
        }
        #expect(datas.count == 500)
        #expect(datas.allSatisfy { Array("\($0.key)".utf8) == $0.value })
        // A write followed by a read on the same session observes it (ordering).
        async let write: Stat = zk.setData(base + "/n0", data: b("after"))
        async let read: NodeData = zk.getData(base + "/n0")
        let (_, r) = try await (write, read)
        #expect(r.data == b("after"))
    }

    @Test("chroot: paths are relative to the chroot in both directions")
    func chroot() async throws {
        let server = try SharedServer.server
        let root = try await TestSupport.connect(server)
        defer { Task { await root.close() } }
        let base = TestSupport.basePath()
        try await root.create(base)
        let zk = try await TestSupport.connect(server, chroot: base)
        defer { Task { await zk.close() } }
        #expect(try await zk.create("/a", data: b("x")) == "/a")
        #expect(try await root.getData(base + "/a").data == b("x"))
        let seq = try await zk.create("/s-", options: .ephemeralSequential)
        #expect(seq == "/s-0000000001")
        #expect(Set(try await zk.getChildren("/")) == ["a", "s-0000000001"])
        #expect(try await zk.getEphemerals("/") == ["/s-0000000001"])
        let (_, watch) = try await zk.getData("/a", watch: true)
        try await root.setData(base + "/a", data: b("y"))
        let event = try await TestSupport.within(.seconds(10)) { await watch.event() }
        #expect(event == WatchEvent(type: .nodeDataChanged, path: "/a"))
        let results = try await zk.multi([.create(path: "/m")])
        #expect(results == [.created(path: "/m", stat: nil)])
    }
}

func expectCode(_ code: ErrorCode, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected \(code.name), got success", sourceLocation: sourceLocation)
    } catch let error as ZooKeeperError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected ZooKeeperError \(code.name), got \(error)", sourceLocation: sourceLocation)
    }
}
