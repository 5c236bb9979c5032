import Testing
import ZNodeStore
import ZooKeeperWire

@Suite("Sessions and ephemerals")
struct EphemeralTests {
    @Test func ephemeralOwnerIsTheSessionAndItCannotHaveChildren() {
        let h = Harness()
        h.createSession(0x42)
        #expect(h.create("/e", "x", flags: 1, session: 0x42).error == .ok)
        #expect(h.stat("/e")!.ephemeralOwner == 0x42)
        #expect(h.create("/e/child").error == .noChildrenForEphemerals)
        #expect(h.create("/e/child", flags: 2).error == .noChildrenForEphemerals)
        #expect(h.store.sessions[0x42]?.ephemeralPaths == ["/e"])
        #expect(h.store.ephemeralCount() == 1)
    }

    @Test func ephemeralForUnknownSessionIsSessionExpired() {
        let h = Harness()
        #expect(h.create("/e", flags: 1, session: 99).error == .sessionExpired)
        #expect(h.create("/e", flags: 3, session: 99).error == .sessionExpired)
        #expect(h.stat("/e") == nil)
    }

    @Test func closeSessionDeletesEphemeralsInSortedOrderFiringWatches() {
        let h = Harness()
        h.createSession(5)
        h.createSession(6)
        h.create("/d")
        h.create("/d/b", flags: 1, session: 5)
        h.create("/d/a", flags: 1, session: 5)
        h.create("/keep", flags: 1, session: 6)
        h.watchData("/d/a", session: 6)
        h.watchExists("/d/b", session: 6)
        h.watchChildren("/d", session: 6)
        _ = h.events()
        h.closeSession(5)
        #expect(h.events() == [
            Event(6, .nodeDeleted, "/d/a"), Event(6, .nodeChildrenChanged, "/d"),
            Event(6, .nodeDeleted, "/d/b"),
        ])
        #expect(h.children("/d") == [])
        #expect(!h.store.isSessionLive(5) && h.store.isSessionLive(6))
        #expect(h.store.sessions[5] == nil)
        #expect(h.stat("/keep") != nil)
        #expect(h.stat("/d")!.pzxid == h.zxid)
    }

    @Test func closeSessionDropsTheSessionsWatches() {
        let h = Harness()
        h.createSession(5)
        h.create("/a")
        h.watchData("/a", session: 5)
        _ = h.store.addWatch(path: "/", mode: .persistentRecursive, sessionId: 5)
        h.closeSession(5)
        h.setData("/a", "x")
        #expect(h.events() == [])
        #expect(h.store.watchCount == 0)
    }

    @Test func getEphemeralsListsOnlyTheCallersNodesByPrefix() {
        let h = Harness()
        h.createSession(5)
        h.create("/a")
        h.create("/a/e1", flags: 1, session: 5)
        h.create("/ab", flags: 1, session: 5)
        h.create("/z", flags: 1, session: 5)
        guard case .ephemerals(let all)? = h.read(.getEphemerals(PathRecord(path: "/")), session: 5).response,
              case .ephemerals(let pre)? = h.read(.getEphemerals(PathRecord(path: "/a")), session: 5).response,
              case .ephemerals(let none)? = h.read(.getEphemerals(PathRecord(path: "/")), session: 6).response
        else { Issue.record("no response"); return }
        #expect(all == ["/a/e1", "/ab", "/z"])
        #expect(pre == ["/a/e1", "/ab"])  // a string prefix, as ZooKeeper does
        #expect(none == [])
    }

    @Test func deletingAnEphemeralRemovesItFromTheSession() {
        let h = Harness()
        h.createSession(5)
        h.create("/e", flags: 1, session: 5)
        h.delete("/e")
        #expect(h.store.sessions[5]?.ephemeralPaths == [])
        #expect(h.store.ephemeralCount() == 0)
    }
}
