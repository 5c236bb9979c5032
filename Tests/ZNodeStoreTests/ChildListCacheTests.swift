import Testing
import ZNodeStore
import ZooKeeperWire

/// getChildren keeps a sorted list per node; every change of the children must show.
@Suite("Child list cache")
struct ChildListCacheTests {
    func children(_ h: Harness, _ path: String) -> [String] {
        guard case .children(let c)? = h.read(.getChildren(PathWatchRequest(path: path))).response else { return ["<error>"] }
        return c
    }

    @Test func listingFollowsCreatesDeletesAndRolledBackMultis() {
        let h = Harness()
        h.create("/p")
        h.create("/p/b")
        #expect(children(h, "/p") == ["b"])
        h.create("/p/a")
        #expect(children(h, "/p") == ["a", "b"])
        _ = h.delete("/p/b")
        #expect(children(h, "/p") == ["a"])
        // a multi that creates then fails is rolled back: the listing must not keep /p/c
        let failed = h.apply(.multi([
            .create(CreateRequest(path: "/p/c")),
            .delete(PathVersionRequest(path: "/p/missing")),
        ]))
        #expect(failed.error == .ok)
        #expect(children(h, "/p") == ["a"])
        // a rolled-back delete restores the child in the listing
        _ = children(h, "/p")
        _ = h.apply(.multi([
            .delete(PathVersionRequest(path: "/p/a")),
            .check(PathVersionRequest(path: "/p", version: 999)),
        ]))
        #expect(children(h, "/p") == ["a"])
    }
}
