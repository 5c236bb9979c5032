import Testing
import ZNodeStore
import ZooKeeperWire

@Suite("Error codes and path validation")
struct ErrorPathTests {
    @Test func createErrorsFollowZooKeepersCheckOrder() {
        let h = Harness()
        h.create("/a")
        #expect(h.create("/a").error == .nodeExists)
        #expect(h.create("/missing/child").error == .noNode)
        #expect(h.create("/a/x", acl: []).error == .invalidACL)
        #expect(h.create("/missing/x", acl: []).error == .invalidACL)  // ACLs are checked before the parent
        for flags: Int32 in [7, -1, 100] { #expect(h.create("/f", flags: flags).error == .badArguments) }
    }

    @Test(arguments: [
        ("", ErrorCode.badArguments), ("relative", .badArguments), ("/b/", .badArguments), ("/b/missing/", .noNode),
        ("/b/a\u{0}b", .badArguments), ("/b//double", .noNode), ("/b/./x", .noNode), ("/b/../x", .noNode),
        ("/b/.", .badArguments), ("/b/..", .badArguments), ("/b/x\u{1}", .badArguments), ("/b/\u{7f}", .badArguments),
        ("/b/\u{e000}", .badArguments), ("/b/😀", .badArguments), ("/b/ok.name", .ok), ("/b/..a", .ok), ("/b/é", .ok),
    ])
    func createPathValidation(path: String, expected: ErrorCode) {
        let h = Harness()
        h.create("/b")
        #expect(h.create(path).error == expected)
    }

    @Test func rootRules() {
        let h = Harness()
        #expect(h.create("/").error == .nodeExists)
        #expect(h.delete("/").error == .badArguments)
        #expect(h.delete("").error == .badArguments)
        #expect(h.read(.getData(PathWatchRequest(path: ""))).error == .ok)
        #expect(h.read(.exists(PathWatchRequest(path: ""))).error == .ok)
    }

    @Test func systemNodesCannotBeDeletedButTheirChildrenCan() {
        let h = Harness()
        for p in ["/zookeeper", "/zookeeper/quota", "/zookeeper/config"] { #expect(h.delete(p).error == .badArguments) }
        #expect(h.create("/zookeeper/quota/x").error == .ok)
        #expect(h.delete("/zookeeper/quota/x").error == .ok)
        #expect(h.create("/zookeeper/config/x").error == .noAuth)  // READ-only ACL
    }

    @Test func readsDoNotValidatePathsExceptExistsRejectsNul() {
        let h = Harness()
        #expect(h.read(.getData(PathWatchRequest(path: "relative"))).error == .noNode)
        #expect(h.read(.exists(PathWatchRequest(path: "/trailing/"))).error == .noNode)
        #expect(h.read(.getData(PathWatchRequest(path: "/a\u{0}b"))).error == .noNode)
        #expect(h.read(.exists(PathWatchRequest(path: "/a\u{0}b"))).error == .badArguments)
        #expect(h.read(.getChildren(PathWatchRequest(path: "/nope"))).error == .noNode)
        #expect(h.read(.getACL(PathRecord(path: "/nope"))).error == .noNode)
        #expect(h.read(.getAllChildrenNumber(PathRecord(path: "/nope"))).error == .noNode)
    }

    @Test func writesValidatePaths() {
        let h = Harness()
        h.create("/t")
        #expect(h.setData("relative", "").error == .badArguments)
        #expect(h.setData("/t/", "").error == .badArguments)
        #expect(h.delete("relative").error == .badArguments)
        #expect(h.delete("/a\u{0}b").error == .badArguments)
        #expect(h.delete("/t/trailing/").error == .noNode)
        #expect(h.apply(.setACL(SetACLRequest(path: "bad", acl: ACL.openUnsafe))).error == .badArguments)
        #expect(h.apply(.multi([.check(PathVersionRequest(path: "bad", version: 1))])).multiResults == [.error(ErrorCode.badArguments.rawValue)])
    }

    @Test func deleteChecksVersionBeforeEmptiness() {
        let h = Harness()
        h.create("/a")
        h.create("/a/b")
        #expect(h.delete("/a", version: 3).error == .badVersion)
        #expect(h.delete("/a").error == .notEmpty)
        h.setData("/a/b", "x")
        #expect(h.delete("/a/b", version: 0).error == .badVersion)
        #expect(h.delete("/a/b", version: 1).error == .ok)
        #expect(h.delete("/a").error == .ok)
        #expect(h.delete("/a").error == .noNode)
    }

    @Test func anyMismatchingVersionIsBadVersion() {
        let h = Harness()
        h.create("/v")
        #expect(h.setData("/v", "x", version: -2).error == .badVersion)
        #expect(h.delete("/v", version: 5).error == .badVersion)
        #expect(h.setData("/nope", "x").error == .noNode)
    }

    @Test func getAllChildrenNumberCountsDescendants() {
        let h = Harness()
        h.create("/a"); h.create("/a/b"); h.create("/a/b/c"); h.create("/a/d")
        #expect(h.read(.getAllChildrenNumber(PathRecord(path: "/a"))).response == .allChildrenNumber(3))
        #expect(h.read(.getAllChildrenNumber(PathRecord(path: "/"))).response == .allChildrenNumber(7))
    }

    @Test func nodeNamesAreComparedByBytesNotCanonicalEquivalence() {
        let h = Harness()
        #expect(h.create("/caf\u{e9}").error == .ok)
        #expect(h.create("/cafe\u{301}").error == .ok)  // NFD spelling is a different znode
        #expect(h.children("/")!.count == 3)
    }

    @Test func childrenAndGetChildren2() {
        let h = Harness()
        h.create("/p")
        for n in ["b", "a", "c"] { h.create("/p/" + n) }
        #expect(h.children("/p") == ["a", "b", "c"])
        guard case .children2(let c, let st)? = h.read(.getChildren2(PathWatchRequest(path: "/p"))).response else {
            Issue.record("no children2"); return
        }
        #expect(c == ["a", "b", "c"] && st.numChildren == 3 && st.cversion == 3)
    }
}
