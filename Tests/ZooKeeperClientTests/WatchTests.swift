import Testing
import ZooKeeperClient
import ZooKeeperWire

@Suite("Watches against a real server", .sharedServer)
struct WatchTests {
    let b = TestSupport.bytes

    @Test("one-shot data watch fires once on change, exists watch fires on create, child watch on add")
    func oneShot() async throws {
        let server = try SharedServer.server
        let zk = try await TestSupport.connect(server)
        let writer = try await TestSupport.connect(server)
        defer { Task { await zk.close(); await writer.close() } }
        let base = TestSupport.basePath()
        try await zk.create(base)

        let (stat, existsWatch) = try await zk.exists(base + "/x", watch: true)
        #expect(stat == nil)
        let (_, childWatch) = try await zk.getChildren(base, watch: true)
        try await writer.create(base + "/x", data: b("1"))
        #expect(try await TestSupport.within(.seconds(10)) { await existsWatch.event() } == WatchEvent(type: .nodeCreated, path: base + "/x"))
        #expect(try await TestSupport.within(.seconds(10)) { await childWatch.event() } == WatchEvent(type: .nodeChildrenChanged, path: base))

        let (node, dataWatch) = try await zk.getData(base + "/x", watch: true)
        #expect(node.data == b("1"))
        try await writer.setData(base + "/x", data: b("2"))
        try await writer.setData(base + "/x", data: b("3"))
        let events = try await TestSupport.within(.seconds(10)) { () -> [WatchEvent] in
            var out: [WatchEvent] = []
            for await e in dataWatch { out.append(e) }
            return out
        }
        #expect(events == [WatchEvent(type: .nodeDataChanged, path: base + "/x")])

        let (_, deleteWatch) = try await zk.getData(base + "/x", watch: true)
        try await writer.delete(base + "/x")
        #expect(try await TestSupport.within(.seconds(10)) { await deleteWatch.event() } == WatchEvent(type: .nodeDeleted, path: base + "/x"))
    }

    @Test("persistent recursive watch sees descendants' create/change/delete but no child events")
    func persistentRecursive() async throws {
        let server = try SharedServer.server
        let zk = try await TestSupport.connect(server)
        defer { Task { await zk.close() } }
        let base = TestSupport.basePath()
        try await zk.create(base)
        let stream = try await zk.addWatch(base, mode: .persistentRecursive)
        try await zk.checkWatches(base, type: .any)
        try await zk.create(base + "/a")
        try await zk.create(base + "/a/b", data: b("1"))
        try await zk.setData(base + "/a/b", data: b("2"))
        try await zk.delete(base + "/a/b")
        let events = try await TestSupport.within(.seconds(10)) { () -> [WatchEvent] in
            var out: [WatchEvent] = []
            for await e in stream {
                out.append(e)
                if out.count == 4 { break }
            }
            return out
        }
        #expect(events == [
            WatchEvent(type: .nodeCreated, path: base + "/a"),
            WatchEvent(type: .nodeCreated, path: base + "/a/b"),
            WatchEvent(type: .nodeDataChanged, path: base + "/a/b"),
            WatchEvent(type: .nodeDeleted, path: base + "/a/b"),
        ])
    }

    @Test("persistent watch sees child events and keeps firing; removeWatches ends it")
    func persistentAndRemove() async throws {
        let server = try SharedServer.server
        let zk = try await TestSupport.connect(server)
        defer { Task { await zk.close() } }
        let base = TestSupport.basePath()
        try await zk.create(base)
        let stream = try await zk.addWatch(base, mode: .persistent)
        try await zk.create(base + "/c1")
        try await zk.setData(base, data: b("d"))
        try await zk.create(base + "/c2")
        try await zk.removeWatches(base, type: .any)
        await expectCode(.noWatcher) { try await zk.checkWatches(base, type: .any) }
        let events = try await TestSupport.within(.seconds(10)) { () -> [WatchEvent] in
            var out: [WatchEvent] = []
            for await e in stream { out.append(e) }
            return out
        }
        #expect(events == [
            WatchEvent(type: .nodeChildrenChanged, path: base),
            WatchEvent(type: .nodeDataChanged, path: base),
            WatchEvent(type: .nodeChildrenChanged, path: base),
            WatchEvent(type: .persistentWatchRemoved, path: base),
        ])
    }

    @Test("removeWatches on a one-shot data watch delivers DataWatchRemoved; NOWATCHER without one")
    func removeOneShot() async throws {
        let zk = try await TestSupport.connect(try SharedServer.server)
        defer { Task { await zk.close() } }
        let base = TestSupport.basePath()
        try await zk.create(base)
        let (_, watch) = try await zk.getData(base, watch: true)
        try await zk.checkWatches(base, type: .data)
        try await zk.removeWatches(base, type: .data)
        #expect(try await TestSupport.within(.seconds(10)) { await watch.event() } == WatchEvent(type: .dataWatchRemoved, path: base))
        await expectCode(.noWatcher) { try await zk.removeWatches(base, type: .data) }
        await expectCode(.noWatcher) { try await zk.removeWatches(base, type: .children, local: true) }
    }

    @Test("close ends outstanding watches with a Closed event and the state stream")
    func closeEndsStreams() async throws {
        let zk = try await TestSupport.connect(try SharedServer.server)
        let base = TestSupport.basePath()
        try await zk.create(base)
        try await zk.create(base + "/eph", options: .ephemeral)
        let states = await zk.connectionStates()
        let (_, watch) = try await zk.getData(base, watch: true)
        let (_, ephWatch) = try await zk.getData(base + "/eph", watch: true)
        await zk.close()
        #expect(try await TestSupport.within(.seconds(10)) { await watch.event() } == WatchEvent(type: .none, state: .closed, path: ""))
        // ZooKeeper deletes the session's ephemerals while closing it and fires the session's
        // own watch on them before it answers closeSession.
        #expect(try await TestSupport.within(.seconds(10)) { await ephWatch.event() } == WatchEvent(type: .nodeDeleted, path: base + "/eph"))
        let seen = try await TestSupport.within(.seconds(10)) { () -> [ConnectionState] in
            var out: [ConnectionState] = []
            for await s in states { out.append(s) }
            return out
        }
        #expect(seen == [.closed])
        await expectCode(.connectionLoss) { _ = try await zk.getData(base) }
    }
}
