import Testing
import ZNodeStore
import ZooKeeperWire

@Suite("multi and multiRead")
struct MultiTests {
    func op(create path: String, _ data: String = "", flags: Int32 = 0) -> ZooKeeperRequest {
        .create(CreateRequest(path: path, data: Array(data.utf8), flags: flags))
    }
    func op(set path: String, _ data: String, version: Int32 = -1) -> ZooKeeperRequest {
        .setData(SetDataRequest(path: path, data: Array(data.utf8), version: version))
    }
    func op(delete path: String, version: Int32 = -1) -> ZooKeeperRequest { .delete(PathVersionRequest(path: path, version: version)) }
    func op(check path: String, version: Int32) -> ZooKeeperRequest { .check(PathVersionRequest(path: path, version: version)) }

    @Test func successfulMultiReturnsPerOpResultsAndSharesOneZxid() {
        let h = Harness()
        h.create("/s", "0")
        let r = h.apply(.multi([
            op(create: "/a", "x"), op(check: "/s", version: 0), op(set: "/s", "1"),
            op(create: "/a/b"), op(delete: "/a/b"),
        ]))
        #expect(r.error == .ok)
        let results = try! #require(r.multiResults)
        #expect(results.count == 5)
        #expect(results[0] == .create(path: "/a"))
        #expect(results[1] == .check)
        if case .setData(let st) = results[2] { #expect(st.version == 1 && st.mzxid == h.zxid) } else { Issue.record("\(results[2])") }
        #expect(results[3] == .create(path: "/a/b"))
        #expect(results[4] == .delete)
        let a = h.stat("/a")!
        #expect(a.czxid == h.zxid && a.pzxid == h.zxid && a.cversion == 2)
        #expect(h.data("/s") == "1")
    }

    @Test func failedMultiChangesNothingAndReportsZooKeepersLayout() {
        let h = Harness()
        h.create("/s", "0")
        h.create("/x")
        let before = h.store.serializeSnapshot()
        let r = h.apply(.multi([op(create: "/a"), op(set: "/s", "1"), op(create: "/x"), op(delete: "/s")]))
        #expect(r.error == .ok)
        #expect(r.multiResults == [.error(0), .error(0), .error(ErrorCode.nodeExists.rawValue), .error(ErrorCode.runtimeInconsistency.rawValue)])
        #expect(h.stat("/a") == nil && h.data("/s") == "0")
        // only lastZxid moved: the snapshots differ in nothing after the 20-byte header
        let after = h.store.serializeSnapshot()
        #expect(Array(after.dropFirst(20)) == Array(before.dropFirst(20)))
        #expect(h.store.lastZxid == h.zxid)
    }

    @Test(arguments: [
        ("check", ErrorCode.badVersion), ("deleteMissing", .noNode), ("deleteNotEmpty", .notEmpty),
        ("setBadVersion", .badVersion), ("childOfEphemeral", .noChildrenForEphemerals), ("badPath", .badArguments),
    ])
    func eachFailingOpCodeLandsInItsSlot(kind: String, code: ErrorCode) {
        let h = Harness()
        h.createSession(1)
        h.create("/p"); h.create("/p/c")
        h.create("/e", flags: 1)
        let failing: ZooKeeperRequest = switch kind {
        case "check": op(check: "/p", version: 3)
        case "deleteMissing": op(delete: "/missing")
        case "deleteNotEmpty": op(delete: "/p")
        case "setBadVersion": op(set: "/p", "", version: 9)
        case "childOfEphemeral": op(create: "/e/c")
        default: op(create: "/p/")
        }
        let r = h.apply(.multi([op(set: "/p", "v"), failing, op(create: "/q")]))
        #expect(r.multiResults == [.error(0), .error(code.rawValue), .error(ErrorCode.runtimeInconsistency.rawValue)])
        #expect(h.stat("/p")!.version == 0 && h.stat("/q") == nil)
    }

    @Test func laterOpsSeeEarlierOps() {
        let h = Harness()
        let r = h.apply(.multi([
            op(create: "/a"), op(create: "/a/b", "1"), op(set: "/a/b", "2", version: 0),
            op(check: "/a/b", version: 1), op(delete: "/a/b", version: 1), op(check: "/a", version: -1),
        ]))
        let results = try! #require(r.multiResults)
        #expect(!results.contains { if case .error = $0 { true } else { false } })
        #expect(h.stat("/a")!.cversion == 2 && h.stat("/a/b") == nil)
    }

    @Test func rollbackRestoresDeletedNodesACLsAndParentStats() {
        let h = Harness()
        h.create("/p")
        h.create("/p/k", "data", acl: [ACL(perms: .all, id: Id(scheme: "digest", id: "u:h"))])
        let p0 = h.stat("/p")!
        let r = h.apply(.multi([op(delete: "/p/k"), op(create: "/p/n"), op(create: "/p/s-", flags: 2), op(check: "/p", version: 5)]))
        #expect(r.multiResults?.last == .error(ErrorCode.badVersion.rawValue))
        #expect(h.stat("/p") == p0)
        #expect(h.children("/p") == ["k"])
        guard case .acl(let acl, _)? = h.read(.getACL(PathRecord(path: "/p/k")), auth: AuthContext(isSuper: true)).response else {
            Issue.record("no acl"); return
        }
        #expect(acl == [ACL(perms: .all, id: Id(scheme: "digest", id: "u:h"))])
        #expect(h.create("/p/s-", flags: 2).createdPath == "/p/s-0000000001")
    }

    @Test func create2InsideMultiAnswersAPlainCreateResultAsZooKeeper380() {
        let h = Harness()
        let r = h.apply(.multi([.create2(CreateRequest(path: "/a", data: [1])), .create2(CreateRequest(path: "/s-", flags: 2))]))
        #expect(r.multiResults == [.create(path: "/a"), .create(path: "/s-0000000001")])
    }

    @Test func createWithContainerFlagInsideMultiMakesAContainer() {
        let h = Harness()
        let r = h.apply(.multi([op(create: "/c", flags: 4), .createContainer(CreateRequest(path: "/plain"))]))
        let results = try! #require(r.multiResults)
        guard case .create2(let path, _) = results[0] else { Issue.record("\(results[0])"); return }
        #expect(path == "/c" && results[1] == .create(path: "/plain"))
        h.create("/c/x"); h.delete("/c/x")
        h.create("/plain/x"); h.delete("/plain/x")
        #expect(h.store.reapCandidates(now: h.time) == ["/c"])
    }

    @Test func emptyMultiSucceedsWithNoResults() {
        let h = Harness()
        #expect(h.apply(.multi([])) == .ok(.multi([])))
    }

    @Test func readOpInsideMultiIsMarshallingErrorAndAppliesNothing() {
        let h = Harness()
        let r = h.apply(.multi([op(create: "/a"), .getData(PathWatchRequest(path: "/"))]))
        #expect(r.error == .marshallingError && r.response == nil)
        #expect(h.stat("/a") == nil)
    }

    @Test func watchesFireOnlyWhenTheMultiSucceedsAfterAllOps() {
        let h = Harness()
        h.create("/a")
        h.watchData("/a", session: 9)
        h.watchExists("/n", session: 9)
        h.apply(.multi([op(set: "/a", "1"), op(create: "/n"), op(create: "/a")]))
        #expect(h.events() == [])
        h.apply(.multi([op(set: "/a", "1"), op(create: "/n"), op(set: "/a", "2")]))
        #expect(h.events() == [Event(9, .nodeDataChanged, "/a"), Event(9, .nodeCreated, "/n")])
    }

    @Test func multiReadOpsAreIndependentAndSetNoWatches() {
        let h = Harness()
        h.create("/a", "A")
        h.create("/a/k")
        h.create("/secret", acl: [ACL(perms: .all, id: Id(scheme: "digest", id: "u:h"))])
        let r = h.read(.multiRead([
            .getData(PathWatchRequest(path: "/a", watch: true)), .getChildren(PathWatchRequest(path: "/nope")),
            .getChildren(PathWatchRequest(path: "/a", watch: true)), .getData(PathWatchRequest(path: "/nope")),
            .getData(PathWatchRequest(path: "/secret")),
        ]), session: 3)
        let results = try! #require(r.multiResults)
        guard case .getData(let d, let st) = results[0] else { Issue.record("\(results[0])"); return }
        #expect(d == Array("A".utf8) && st.numChildren == 1)
        #expect(results[1] == .error(ErrorCode.noNode.rawValue))
        #expect(results[2] == .getChildren(["k"]))
        #expect(results[3] == .error(ErrorCode.noNode.rawValue))
        #expect(results[4] == .error(ErrorCode.noAuth.rawValue))
        #expect(h.store.watchCount == 0)
    }
}
