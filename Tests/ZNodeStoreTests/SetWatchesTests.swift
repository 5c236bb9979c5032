import Testing
import ZNodeStore
import ZooKeeperWire

@Suite("setWatches after reconnect")
struct SetWatchesTests {
    @Test func missedChangesFireAtOnceComparedToRelativeZxid() {
        let h = Harness()
        h.create("/b")
        h.create("/b/a", "1")
        h.create("/b/gone")
        h.create("/b/same")
        let last = h.zxid
        h.setData("/b/a", "2")
        h.delete("/b/gone")
        h.create("/b/new")
        h.store.setWatches(SetWatchesRequest(
            relativeZxid: last, dataWatches: ["/b/a", "/b/gone", "/b/same"], existWatches: ["/b/new", "/b/absent"],
            childWatches: ["/b", "/b/same", "/b/vanished"]), sessionId: 4)
        #expect(h.events() == [
            Event(4, .nodeDataChanged, "/b/a"), Event(4, .nodeDeleted, "/b/gone"), Event(4, .nodeCreated, "/b/new"),
            Event(4, .nodeChildrenChanged, "/b"), Event(4, .nodeDeleted, "/b/vanished"),
        ])
        // the rest are registered
        #expect(h.store.checkWatches(path: "/b/same", type: .data, sessionId: 4) == .ok)
        #expect(h.store.checkWatches(path: "/b/same", type: .children, sessionId: 4) == .ok)
        #expect(h.store.checkWatches(path: "/b/absent", type: .data, sessionId: 4) == .ok)
        #expect(h.store.checkWatches(path: "/b/a", type: .data, sessionId: 4) == .noWatcher)
        h.create("/b/absent")
        #expect(h.events() == [Event(4, .nodeCreated, "/b/absent")])
    }

    @Test func upToDateWatchesAreRegisteredWithoutEvents() {
        let h = Harness()
        h.create("/a")
        h.store.setWatches(SetWatchesRequest(relativeZxid: h.zxid, dataWatches: ["/a"], childWatches: ["/a"]), sessionId: 4)
        #expect(h.events() == [])
        h.create("/a/c")
        #expect(h.events() == [Event(4, .nodeChildrenChanged, "/a")])
    }

    @Test func persistentWatchesAreRegisteredWithoutEvents() {
        let h = Harness()
        h.store.setWatches(SetWatchesRequest(relativeZxid: 0, persistentWatches: ["/p"], persistentRecursiveWatches: ["/r"]), sessionId: 4)
        #expect(h.events() == [])
        h.create("/p"); h.create("/r"); h.create("/r/x")
        #expect(h.events() == [Event(4, .nodeCreated, "/p"), Event(4, .nodeCreated, "/r"), Event(4, .nodeCreated, "/r/x")])
    }
}
