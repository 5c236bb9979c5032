import Testing
import ZooKeeperClient
import ZooKeeperRecipes

@Suite("Hash ring (pure)")
struct HashRingTests {
    let keys = (0..<10_000).map { "key-\($0)" }

    @Test("adding a sixth member moves about 1/6 of the keys, all of them to the new member")
    func minimalMovement() {
        let before = HashRing(members: ["m1", "m2", "m3", "m4", "m5"])
        var after = before
        after.setMembers(["m1", "m2", "m3", "m4", "m5", "m6"])
        var moved = 0
        for k in keys {
            let a = before.owners(of: k)[0], b = after.owners(of: k)[0]
            if a != b {
                moved += 1
                #expect(b == "m6")
            }
        }
        let fraction = Double(moved) / Double(keys.count)
        #expect(fraction > 0.10 && fraction < 0.25, "moved \(fraction)")
    }

    @Test("replicationFactor gives distinct owners, primary first; load is roughly even")
    func replication() {
        let ring = HashRing(members: ["a", "b", "c", "d"])
        var load: [String: Int] = [:]
        for k in keys {
            let owners = ring.owners(of: k, replicationFactor: 3)
            #expect(Set(owners).count == 3)
            #expect(owners[0] == ring.owners(of: k)[0])
            load[owners[0], default: 0] += 1
        }
        #expect(load.values.allSatisfy { $0 > 1500 && $0 < 3500 }, "\(load)")
        #expect(HashRing(members: ["a"]).owners(of: "k", replicationFactor: 3) == ["a"])
        #expect(HashRing().owners(of: "k").isEmpty)
    }
}

@Suite("Group membership", .sharedServer)
struct MembershipTests {
    @Test("members join and leave; the watcher's stream follows, and a ring over it updates")
    func membership() async throws {
        let server = try SharedServer.server
        let group = TestSupport.basePath() + "/members"
        let observer = try await TestSupport.connect(server)
        var clients: [ZooKeeperClient] = []
        var members: [GroupMembership] = []
        for name in ["a", "b", "c"] {
            let zk = try await TestSupport.connect(server)
            let m = GroupMembership(client: zk, groupPath: group)
            try await m.join(as: name)
            clients.append(zk)
            members.append(m)
        }
        let stream = GroupMembership(client: observer, groupPath: group).members()
        let (leaver, closer) = (members[1], clients[2])
        let seen = try await TestSupport.within(.seconds(20)) { () -> [[String]] in
            var out: [[String]] = []
            var left = false
            var closed = false
            for await list in stream {
                out.append(list)
                if list == ["a", "b", "c"] && !left {
                    left = true
                    try await leaver.leave()
                } else if list == ["a", "c"] && !closed {
                    closed = true
                    await closer.close()  // its ephemeral goes with the session
                } else if list == ["a"] {
                    break
                }
            }
            return out
        }
        #expect(seen == [["a", "b", "c"], ["a", "c"], ["a"]])
        var ring = HashRing(members: seen[0])
        ring.setMembers(seen.last!)
        #expect(ring.owners(of: "anything", replicationFactor: 2) == ["a"])
        for zk in clients { await zk.close() }
        await observer.close()
    }
}

@Suite("Node cache", .sharedServer)
struct NodeCacheTests {
    @Test("follows a node through create, changes and delete")
    func follows() async throws {
        let server = try SharedServer.server
        let path = TestSupport.basePath()
        let zk = try await TestSupport.connect(server)
        let writer = try await TestSupport.connect(server)
        let updates = NodeCache(client: zk, path: path).updates()
        let seen = try await TestSupport.within(.seconds(20)) { () -> [String?] in
            var out: [String?] = []
            for await node in updates {
                let value = node.map { String(decoding: $0.data, as: UTF8.self) }
                out.append(value)
                switch value {
                case nil where out.count == 1: try await writer.create(path, data: Array("1".utf8))
                case "1": try await writer.setData(path, data: Array("2".utf8))
                case "2": try await writer.delete(path)
                default: break
                }
                if out.count == 4 { break }
            }
            return out
        }
        #expect(seen == [nil, "1", "2", nil])
        await writer.close()
        await zk.close()
    }
}

@Suite("Tree cache", .sharedServer)
struct TreeCacheTests {
    @Test("mirrors a subtree: initial load, then adds, updates and recursive removes as events")
    func mirrors() async throws {
        let server = try SharedServer.server
        let root = TestSupport.basePath()
        let zk = try await TestSupport.connect(server)
        let writer = try await TestSupport.connect(server)
        try await writer.create(root, data: Array("r".utf8))
        try await writer.create(root + "/a", data: Array("a".utf8))
        let cache = TreeCache(client: zk, root: root)
        let events = await cache.events()
        try await cache.start()
        #expect(Set(await cache.snapshot.keys) == [root, root + "/a"])
        let seen = try await TestSupport.within(.seconds(20)) { () -> [TreeCacheEvent] in
            var out: [TreeCacheEvent] = []
            for await event in events {
                out.append(event)
                switch event {
                case .initialized: try await writer.create(root + "/a/b", data: Array("b".utf8))
                case .added(let p, _) where p == root + "/a/b": try await writer.setData(root + "/a/b", data: Array("b2".utf8))
                case .updated(let p, _) where p == root + "/a/b":
                    try await writer.delete(root + "/a/b")
                    try await writer.delete(root + "/a")
                case .removed(let p) where p == root + "/a": return out
                default: break
                }
            }
            return out
        }
        let shape = seen.map { e -> String in
            switch e {
            case .added(let p, let n): "added \(p.dropFirst(root.count)) \(String(decoding: n.data, as: UTF8.self))"
            case .updated(let p, let n): "updated \(p.dropFirst(root.count)) \(String(decoding: n.data, as: UTF8.self))"
            case .removed(let p): "removed \(p.dropFirst(root.count))"
            case .initialized: "initialized"
            }
        }
        #expect(shape == ["added  r", "added /a a", "initialized", "added /a/b b", "updated /a/b b2", "removed /a/b", "removed /a"])
        #expect(Set(await cache.snapshot.keys) == [root])
        await cache.close()
        await writer.close()
        await zk.close()
    }
}
