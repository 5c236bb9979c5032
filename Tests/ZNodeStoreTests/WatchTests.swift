import Testing
import ZNodeStore
import ZooKeeperWire

@Suite("Watches")
struct WatchTests {
    @Test func dataWatchFiresOnceWithSyncConnectedState() {
        let h = Harness()
        h.create("/a", "1")
        h.watchData("/a", session: 2)
        h.setData("/a", "2")
        let raw = h.store.drainNotifications()
        #expect(raw.count == 1 && raw[0].sessionId == 2)
        #expect(raw[0].event == WatcherEvent(type: .nodeDataChanged, state: .syncConnected, path: "/a"))
        h.setData("/a", "3")
        #expect(h.events() == [])
    }

    @Test func createFiresNodeCreatedThenParentChildrenChanged() {
        let h = Harness()
        h.watchExists("/n", session: 2)
        h.watchChildren("/", session: 2)
        h.create("/n")
        #expect(h.events() == [Event(2, .nodeCreated, "/n"), Event(2, .nodeChildrenChanged, "/")])
    }

    @Test func deleteFiresOneNodeDeletedPerWatcherThenParent() {
        let h = Harness()
        h.create("/p"); h.create("/p/n")
        h.watchData("/p/n", session: 2)
        h.watchChildren("/p/n", session: 2)
        h.watchExists("/p/n", session: 2)
        h.watchChildren("/p", session: 2)
        h.watchChildren("/p/n", session: 3)
        h.delete("/p/n")
        #expect(h.events() == [Event(2, .nodeDeleted, "/p/n"), Event(3, .nodeDeleted, "/p/n"), Event(2, .nodeChildrenChanged, "/p")])
        #expect(h.store.watchCount == 0)
    }

    @Test func childWatchIgnoresDataChangesAndGrandchildren() {
        let h = Harness()
        h.create("/c")
        h.watchChildren("/", session: 2)
        h.setData("/", "x")
        h.setData("/c", "x")
        h.create("/c/g")
        #expect(h.events() == [])
        h.delete("/c/g")
        h.delete("/c")
        #expect(h.events() == [Event(2, .nodeChildrenChanged, "/")])
    }

    @Test func existsOnMissingNodeRegistersDataWatchButGetDataDoesNot() {
        let h = Harness()
        h.watchExists("/nope", session: 2)
        #expect(h.store.checkWatches(path: "/nope", type: .data, sessionId: 2) == .ok)
        h.watchData("/other", session: 2)
        #expect(h.store.checkWatches(path: "/other", type: .data, sessionId: 2) == .noWatcher)
        h.create("/other")
        #expect(h.events() == [])
    }

    @Test func failedACLCheckRegistersNoWatch() {
        let h = Harness()
        h.create("/s", acl: [ACL(perms: .all, id: Id(scheme: "digest", id: "u:h"))])
        h.watchData("/s", session: 2)
        h.watchChildren("/s", session: 2)
        #expect(h.store.watchCount == 0)
    }

    @Test func persistentWatchGetsAllEventsForItsPathAndStays() {
        let h = Harness()
        #expect(h.store.addWatch(path: "/p", mode: .persistent, sessionId: 2) == .ok)
        h.create("/p")
        h.setData("/p", "1")
        h.create("/p/c")
        h.create("/p/c/gc")
        h.setData("/p/c", "x")
        h.delete("/p/c/gc")
        h.delete("/p/c")
        h.delete("/p")
        h.create("/p")
        #expect(h.events() == [
            Event(2, .nodeCreated, "/p"), Event(2, .nodeDataChanged, "/p"), Event(2, .nodeChildrenChanged, "/p"),
            Event(2, .nodeChildrenChanged, "/p"), Event(2, .nodeDeleted, "/p"), Event(2, .nodeCreated, "/p"),
        ])
    }

    @Test func recursiveWatchReportsTheChangedNodesPathAndNoChildrenChanged() {
        let h = Harness()
        _ = h.store.addWatch(path: "/r", mode: .persistentRecursive, sessionId: 2)
        h.create("/r")
        h.create("/r/a")
        h.create("/r/a/b", "x")
        h.setData("/r/a/b", "y")
        h.create("/rx")  // a sibling sharing a string prefix is not under /r
        h.delete("/r/a/b")
        #expect(h.events() == [
            Event(2, .nodeCreated, "/r"), Event(2, .nodeCreated, "/r/a"), Event(2, .nodeCreated, "/r/a/b"),
            Event(2, .nodeDataChanged, "/r/a/b"), Event(2, .nodeDeleted, "/r/a/b"),
        ])
    }

    @Test func recursiveWatchOnRootSeesEverything() {
        let h = Harness()
        _ = h.store.addWatch(path: "/", mode: .persistentRecursive, sessionId: 2)
        h.create("/a")
        h.create("/a/b")
        #expect(h.events() == [Event(2, .nodeCreated, "/a"), Event(2, .nodeCreated, "/a/b")])
    }

    @Test func oneEventPerSessionEvenWhenRegisteredSeveralWays() {
        let h = Harness()
        h.create("/z")
        _ = h.store.addWatch(path: "/z", mode: .persistentRecursive, sessionId: 2)
        h.watchChildren("/z", session: 2)
        h.create("/z/1")
        h.create("/z/2")
        #expect(h.events() == [Event(2, .nodeCreated, "/z/1"), Event(2, .nodeChildrenChanged, "/z"), Event(2, .nodeCreated, "/z/2")])
        _ = h.store.addWatch(path: "/", mode: .persistentRecursive, sessionId: 3)
        h.watchData("/z/1", session: 3)
        h.setData("/z/1", "x")
        #expect(h.events() == [Event(2, .nodeDataChanged, "/z/1"), Event(3, .nodeDataChanged, "/z/1")])
    }

    @Test func oneShotThenPersistentKeepsFiring() {
        let h = Harness()
        h.create("/a")
        h.watchData("/a", session: 2)
        _ = h.store.addWatch(path: "/a", mode: .persistent, sessionId: 2)
        for v in ["1", "2", "3"] { h.setData("/a", v) }
        #expect(h.events() == Array(repeating: Event(2, .nodeDataChanged, "/a"), count: 3))
    }

    @Test func oneShotOverPersistentReplacesTheDataHalfAsZooKeeper380() {
        // ZooKeeper 3.8.0 keeps one mode per (session, path) per table: a later getData
        // watch turns the persistent data watch into a one-shot one; the child half stays.
        let h = Harness()
        h.create("/a")
        _ = h.store.addWatch(path: "/a", mode: .persistent, sessionId: 2)
        h.watchData("/a", session: 2)
        h.setData("/a", "1")
        h.setData("/a", "2")
        #expect(h.events() == [Event(2, .nodeDataChanged, "/a")])
        #expect(h.store.checkWatches(path: "/a", type: .any, sessionId: 2) == .ok)
        h.create("/a/c")
        #expect(h.events() == [Event(2, .nodeChildrenChanged, "/a")])
    }

    @Test func checkAndRemoveWatchesByType() {
        let h = Harness()
        h.create("/a")
        #expect(h.store.checkWatches(path: "/a", type: .data, sessionId: 2) == .noWatcher)
        h.watchData("/a", session: 2)
        #expect(h.store.checkWatches(path: "/a", type: .data, sessionId: 2) == .ok)
        #expect(h.store.checkWatches(path: "/a", type: .children, sessionId: 2) == .noWatcher)
        #expect(h.store.checkWatches(path: "/a", type: .any, sessionId: 2) == .ok)
        #expect(h.read(.checkWatches(PathTypeRequest(path: "/a", type: 2)), session: 2).error == .ok)
        #expect(h.store.removeWatches(path: "/a", type: .children, sessionId: 2) == .noWatcher)
        #expect(h.store.removeWatches(path: "/a", type: .data, sessionId: 2) == .ok)
        #expect(h.store.checkWatches(path: "/a", type: .data, sessionId: 2) == .noWatcher)
        h.setData("/a", "x")
        #expect(h.events() == [])  // no event for a removed watch, and none for the removal itself
        h.watchChildren("/a", session: 2)
        h.watchExists("/a", session: 2)
        #expect(h.store.removeWatches(path: "/a", type: .any, sessionId: 2) == .ok)
        #expect(h.store.checkWatches(path: "/a", type: .any, sessionId: 2) == .noWatcher)
        #expect(h.store.removeWatches(path: "/nope", type: .any, sessionId: 2) == .noWatcher)
    }

    @Test func removingPersistentWatchesStopsEvents() {
        let h = Harness()
        _ = h.store.addWatch(path: "/p", mode: .persistent, sessionId: 2)
        _ = h.store.addWatch(path: "/r", mode: .persistentRecursive, sessionId: 2)
        #expect(h.store.removeWatches(path: "/p", type: .any, sessionId: 2) == .ok)
        #expect(h.store.removeWatches(path: "/r", type: .any, sessionId: 2) == .ok)
        h.create("/p"); h.create("/r"); h.create("/r/x")
        #expect(h.events() == [])
    }

    @Test func watchesAreTrackedPerSessionAndPathAndRemovedWithTheConnection() {
        let h = Harness()
        h.create("/a")
        h.watchData("/a", session: 2)
        h.watchChildren("/a", session: 2)
        h.watchExists("/b", session: 3)
        #expect(h.store.watchCount == 3)
        #expect(h.store.watchesBySession() == [2: ["/a"], 3: ["/b"]])
        #expect(h.store.watchesByPath() == ["/a": [2], "/b": [3]])
        h.store.removeAllWatches(sessionId: 2)
        #expect(h.store.watchesBySession() == [3: ["/b"]])
        h.setData("/a", "x")
        #expect(h.events() == [])
    }

    @Test func setDataEventsOfDifferentSessionsComeInSessionOrder() {
        let h = Harness()
        h.create("/a")
        for s: Int64 in [9, 3, 5] { h.watchData("/a", session: s) }
        h.setData("/a", "x")
        #expect(h.events().map(\.session) == [3, 5, 9])
    }

    @Test func readRoutesTheWatchOpcodes() {
        let h = Harness()
        #expect(h.read(.addWatch(PathTypeRequest(path: "/w", type: 1)), session: 2) == .ok(.empty))
        #expect(h.read(.checkWatches(PathTypeRequest(path: "/w", type: 3)), session: 2).error == .ok)
        #expect(h.read(.removeWatches(PathTypeRequest(path: "/w", type: 3)), session: 2).error == .ok)
        #expect(h.read(.removeWatches(PathTypeRequest(path: "/w", type: 3)), session: 2).error == .noWatcher)
        #expect(h.read(.addWatch(PathTypeRequest(path: "/w", type: 7)), session: 2).error == .badArguments)
        #expect(h.read(.setWatches2(SetWatchesRequest(relativeZxid: 0, existWatches: ["/zookeeper"])), session: 2) == .ok(.empty))
        #expect(h.events() == [Event(2, .nodeCreated, "/zookeeper")])
        #expect(h.read(.create(CreateRequest(path: "/x"))).error == .unimplemented)
    }

    @Test func removingTheDataHalfOfAPersistentWatchKeepsTheChildHalf() {
        // observed on ZooKeeper 3.8.0: removeWatches(DATA) on a persistent watch succeeds,
        // checkWatches(CHILDREN) still finds it, and only NodeChildrenChanged fires after.
        let h = Harness()
        h.create("/p")
        _ = h.store.addWatch(path: "/p", mode: .persistent, sessionId: 2)
        #expect(h.store.removeWatches(path: "/p", type: .data, sessionId: 2) == .ok)
        #expect(h.store.checkWatches(path: "/p", type: .children, sessionId: 2) == .ok)
        h.setData("/p", "x")
        h.create("/p/c")
        #expect(h.events() == [Event(2, .nodeChildrenChanged, "/p")])
    }

    @Test func eventsAreWithheldFromSessionsWithoutReadButOneShotsAreUsedUp() {
        // ZooKeeper 3.8.4+ / Debian 3.8.0-11+deb12u2 (CVE-2024-23944), observed in a trace.
        let h = Harness()
        let alice = AuthContext(ids: [Id(scheme: "digest", id: DigestAuth.digest("alice:pw"))])
        h.create("/s")
        h.watchData("/s", session: 2)  // records session 2's (empty) auth
        _ = h.store.addWatch(path: "/", mode: .persistentRecursive, sessionId: 3)
        h.store.setSessionAuth(alice, sessionId: 3)
        h.apply(.setACL(SetACLRequest(path: "/s", acl: [ACL(perms: .all, id: alice.ids[0])])))
        h.setData("/s", "x", auth: alice)
        #expect(h.events() == [Event(3, .nodeDataChanged, "/s")])
        #expect(h.store.checkWatches(path: "/s", type: .data, sessionId: 2) == .noWatcher)
        // NodeChildrenChanged is checked against the parent's ACL
        h.watchChildren("/s", session: 2)  // fails: no READ, so no watch
        _ = h.store.addWatch(path: "/s", mode: .persistent, sessionId: 2)
        h.create("/s/c", auth: alice)
        #expect(h.events() == [Event(3, .nodeCreated, "/s/c")])
        // sessions whose auth was never recorded get everything
        _ = h.store.addWatch(path: "/s", mode: .persistent, sessionId: 9)
        h.setData("/s", "y", auth: alice)
        #expect(h.events() == [Event(3, .nodeDataChanged, "/s"), Event(9, .nodeDataChanged, "/s")])
    }
}
