import Testing
import ZooKeeperClient
import ZooKeeperRecipes
import ZooKeeperWire

/// Records who holds a resource and checks it is never two at once.
actor ExclusionMonitor {
    private(set) var current: Set<String> = []
    private(set) var maxConcurrent = 0
    private(set) var tokens: [Int64] = []
    private(set) var leaders: [String] = []

    func enter(_ who: String, token: Int64) {
        current.insert(who)
        maxConcurrent = max(maxConcurrent, current.count)
        tokens.append(token)
        leaders.append(who)
    }

    func leave(_ who: String) { current.remove(who) }
}

@Suite("Recipes under contention", .sharedServer)
struct RecipesTests {
    @Test("mutex: 5 clients × 4 increments, never two holders, fencing tokens strictly increase, Curator layout")
    func mutexContention() async throws {
        let server = try SharedServer.server
        let base = TestSupport.basePath()
        let counterPath = base + "-counter"
        let setup = try await TestSupport.connect(server)
        try await setup.create(counterPath, data: Array("0".utf8))
        let monitor = ExclusionMonitor()
        var clients: [ZooKeeperClient] = []
        for _ in 0..<5 { clients.append(try await TestSupport.connect(server)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, zk) in clients.enumerated() {
                group.addTask {
                    let lock = DistributedLock(client: zk, path: base + "/lock")
                    for _ in 0..<4 {
                        try await lock.withLock(timeout: .seconds(60)) { token in
                            await monitor.enter("c\(i)", token: token)
                            // A read-modify-write that is only correct under mutual exclusion.
                            let value = Int(String(decoding: try await zk.getData(counterPath).data, as: UTF8.self))!
                            try await zk.setData(counterPath, data: Array("\(value + 1)".utf8))
                            await monitor.leave("c\(i)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(String(decoding: try await setup.getData(counterPath).data, as: UTF8.self) == "20")
        #expect(await monitor.maxConcurrent == 1)
        let tokens = await monitor.tokens
        #expect(tokens.count == 20)
        #expect(zip(tokens, tokens.dropFirst()).allSatisfy { $0 < $1 })
        // All lock nodes are gone; the parent is a container.
        #expect(try await setup.getChildren(base + "/lock").isEmpty)
        for zk in clients { await zk.close() }
        await setup.close()
    }

    @Test("mutex is reentrant within one owner and a second owner times out while it is held")
    func mutexReentrantAndTimeout() async throws {
        let server = try SharedServer.server
        let base = TestSupport.basePath()
        let a = try await TestSupport.connect(server)
        let b = try await TestSupport.connect(server)
        let lockA = DistributedLock(client: a, path: base)
        let lockB = DistributedLock(client: b, path: base)
        let t1 = try await lockA.acquire()
        let t2 = try await lockA.acquire()
        #expect(t1 == t2)
        let children = try await a.getChildren(base)
        #expect(children.count == 1)
        #expect(children[0].hasPrefix("_c_") && children[0].contains("-lock-"))
        await #expect(throws: LockError.timedOut) { try await lockB.acquire(timeout: .milliseconds(300)) }
        try await lockA.release()
        #expect(await lockA.isHeld)
        try await lockA.release()
        let t3 = try await lockB.acquire(timeout: .seconds(10))
        #expect(t3 > t1)
        try await lockB.release()
        await a.close()
        await b.close()
    }

    @Test("election: 5 candidates at /election/leader-style path, resign churn, one leader at a time, tokens grow")
    func electionChurn() async throws {
        let server = try SharedServer.server
        let path = TestSupport.basePath() + "/election/leader"
        let monitor = ExclusionMonitor()
        var latches: [LeaderLatch] = []
        var clients: [ZooKeeperClient] = []
        var followers: [Task<Void, Never>] = []
        for i in 0..<5 {
            let zk = try await TestSupport.connect(server)
            clients.append(zk)
            let latch = LeaderLatch(client: zk, path: path, participantId: "worker-\(i)")
            let events = await latch.events()
            followers.append(Task {
                for await event in events {
                    switch event {
                    case .elected(let token): await monitor.enter("worker-\(i)", token: token)
                    case .revoked: await monitor.leave("worker-\(i)")
                    }
                }
            })
            latches.append(latch)
            try await latch.start()
        }
        var remaining = latches
        while !remaining.isEmpty {
            // Exactly one of the remaining participants leads, within a bound.
            let candidates = remaining
            let leader = try await TestSupport.within(.seconds(20)) { () -> LeaderLatch in
                while true {
                    for latch in candidates where await latch.hasLeadership { return latch }
                    try await Task.sleep(for: .milliseconds(5))  // paces the bounded poll
                }
            }
            var leading = 0
            for latch in remaining where await latch.hasLeadership { leading += 1 }
            #expect(leading == 1)
            let name = leader.participantId
            await leader.close()
            remaining.removeAll { $0 === leader }
            let children = try await clients[0].getChildren(path)
            #expect(children.allSatisfy { $0.hasPrefix("_c_") && $0.contains("-latch-") })
            #expect(children.count == remaining.count, "\(name) resigned")
        }
        for f in followers { await f.value }
        #expect(await monitor.maxConcurrent == 1)
        let tokens = await monitor.tokens
        #expect(tokens.count == 5)
        #expect(zip(tokens, tokens.dropFirst()).allSatisfy { $0 < $1 })
        #expect(Set(await monitor.leaders).count == 5)
        for zk in clients { await zk.close() }
    }

    @Test("election under session expiry: the leader's session is taken over and closed, 4 times; one leader at a time")
    func electionExpiryChurn() async throws {
        let server = try SharedServer.server
        let path = TestSupport.basePath() + "/election/leader"
        let monitor = ExclusionMonitor()
        var entries: [(ZooKeeperClient, LeaderLatch, Task<Void, Never>)] = []
        for i in 0..<5 {
            let zk = try await TestSupport.connect(server, sessionTimeout: .seconds(4))
            let latch = LeaderLatch(client: zk, path: path, participantId: "worker-\(i)")
            let events = await latch.events()
            let follower = Task {
                for await event in events {
                    switch event {
                    case .elected(let token): await monitor.enter("worker-\(i)", token: token)
                    case .revoked: await monitor.leave("worker-\(i)")
                    }
                }
            }
            try await latch.start()
            entries.append((zk, latch, follower))
        }
        for _ in 0..<4 {
            let candidates = entries.map { ($0.0, $0.1) }
            let (leaderClient, leader) = try await TestSupport.within(.seconds(20)) { () -> (ZooKeeperClient, LeaderLatch) in
                while true {
                    for (zk, latch) in candidates where await latch.hasLeadership { return (zk, latch) }
                    try await Task.sleep(for: .milliseconds(5))  // paces the bounded poll
                }
            }
            // Expire the leader's session: another connection takes it over (the server drops the
            // leader's connection, so it is suspended and stops leading), then closes it.
            try await TestSupport.expireSession(of: leaderClient, on: server) {
                _ = try await TestSupport.within(.seconds(10)) { () -> Bool in
                    while await leader.hasLeadership { try await Task.sleep(for: .milliseconds(5)) }
                    return true
                }
            }
            entries.removeAll { $0.1 === leader }
            await leaderClient.close()
        }
        let last = entries[0].1
        let token = try await TestSupport.within(.seconds(10)) { try await last.awaitLeadership() }
        #expect(token > 0)
        await last.close()
        for entry in entries { await entry.0.close() }
        #expect(await monitor.maxConcurrent == 1)
        // A leader that won its session back before it was closed leads again with the same
        // token, so tokens never decrease and there are five distinct ones.
        let tokens = await monitor.tokens
        #expect(Set(tokens).count == 5)
        #expect(zip(tokens, tokens.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test("shared counter: 5 clients × 10 compare-and-set increments add up; Curator's 4-byte layout")
    func sharedCounter() async throws {
        let server = try SharedServer.server
        let path = TestSupport.basePath()
        var clients: [ZooKeeperClient] = []
        for _ in 0..<5 { clients.append(try await TestSupport.connect(server)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for zk in clients {
                group.addTask {
                    let counter = SharedCounter(client: zk, path: path)
                    for _ in 0..<10 { try await counter.increment() }
                }
            }
            try await group.waitForAll()
        }
        let counter = SharedCounter(client: clients[0], path: path)
        #expect(try await counter.get().value == 50)
        #expect(try await clients[0].getData(path).data == [0, 0, 0, 50])
        let (_, version) = try await counter.get()
        #expect(try await counter.trySet(7, expectedVersion: version - 1) == false)
        #expect(try await counter.trySet(7, expectedVersion: version) == true)
        #expect(try await counter.get().value == 7)
        for zk in clients { await zk.close() }
    }

    @Test("read-write lock: readers share, a writer excludes everyone, a waiting writer blocks later readers")
    func readWriteLock() async throws {
        let server = try SharedServer.server
        let path = TestSupport.basePath()
        let a = try await TestSupport.connect(server)
        let b = try await TestSupport.connect(server)
        let c = try await TestSupport.connect(server)
        let lockA = ReadWriteLock(client: a, path: path), lockB = ReadWriteLock(client: b, path: path)
        let lockC = ReadWriteLock(client: c, path: path)
        let r1 = try await lockA.acquire(.read)
        let r2 = try await lockB.acquire(.read, timeout: .seconds(10))  // readers share
        await #expect(throws: LockError.timedOut) { _ = try await lockC.acquire(.write, timeout: .milliseconds(300)) }
        // A writer queued behind the readers; a reader arriving after it waits for it.
        let writer = Task { try await lockC.acquire(.write, timeout: .seconds(20)) }
        while try await c.getChildren(path).count < 3 { try await Task.sleep(for: .milliseconds(5)) }
        await #expect(throws: LockError.timedOut) { _ = try await lockA.acquire(.read, timeout: .milliseconds(300)) }
        try await r1.release()
        try await r2.release()
        let w = try await writer.value
        #expect(w.fencingToken > r2.fencingToken)
        let names = try await c.getChildren(path)
        #expect(names.count == 1 && names[0].hasPrefix("_c_") && names[0].contains("-__WRIT__"))
        try await w.release()
        let r3 = try await lockB.acquire(.read, timeout: .seconds(10))
        try await r3.release()
        await a.close(); await b.close(); await c.close()
    }

    @Test("barrier holds waiters until removed; double barrier lets 3 members in together and out together")
    func barriers() async throws {
        let server = try SharedServer.server
        let base = TestSupport.basePath()
        var clients: [ZooKeeperClient] = []
        for _ in 0..<3 { clients.append(try await TestSupport.connect(server)) }
        let barrier = Barrier(client: clients[0], path: base + "-barrier")
        try await barrier.set()
        let waiter = Task { [c = clients[1]] in try await Barrier(client: c, path: base + "-barrier").wait() }
        // The waiter is blocked on the node's existence (its exists watch is registered).
        while (try? await clients[1].checkWatches(base + "-barrier", type: .data)) == nil {
            try await Task.sleep(for: .milliseconds(5))
        }
        try await barrier.remove()
        try await TestSupport.within(.seconds(10)) { try await waiter.value }

        // Each member counts arrivals before enter(); after enter() all 3 must have arrived.
        let arrivals = ExclusionMonitor()
        let seenAfterEnter = try await withThrowingTaskGroup(of: Int.self) { group in
            for (i, zk) in clients.enumerated() {
                group.addTask {
                    let db = DoubleBarrier(client: zk, path: base + "/double", memberCount: 3, memberId: "m\(i)")
                    await arrivals.enter("m\(i)", token: Int64(i))
                    try await db.enter()
                    let count = await arrivals.tokens.count
                    try await db.leave()
                    return count
                }
            }
            var out: [Int] = []
            for try await c in group { out.append(c) }
            return out
        }
        #expect(seenAfterEnter == [3, 3, 3])
        #expect(try await clients[0].getChildren(base + "/double").isEmpty)
        for zk in clients { await zk.close() }
    }

    @Test("queue: 3 producers × 10 items, 3 consumers; every item taken exactly once, FIFO per producer")
    func queue() async throws {
        let server = try SharedServer.server
        let path = TestSupport.basePath() + "/queue"
        var clients: [ZooKeeperClient] = []
        for _ in 0..<6 { clients.append(try await TestSupport.connect(server)) }
        let taken = try await withThrowingTaskGroup(of: [String].self) { group in
            for p in 0..<3 {
                group.addTask { [zk = clients[p]] in
                    let q = DistributedQueue(client: zk, path: path)
                    for i in 0..<10 { try await q.put(Array("p\(p)-\(i)".utf8)) }
                    return []
                }
            }
            for c in 3..<6 {
                group.addTask { [zk = clients[c]] in
                    let q = DistributedQueue(client: zk, path: path)
                    var out: [String] = []
                    for _ in 0..<10 { out.append(String(decoding: try await q.take(), as: UTF8.self)) }
                    return out
                }
            }
            var all: [[String]] = []
            for try await items in group where !items.isEmpty { all.append(items) }
            return all
        }
        let flat = taken.flatMap { $0 }
        #expect(flat.count == 30)
        #expect(Set(flat).count == 30)
        for consumer in taken {
            for p in 0..<3 {
                let mine = consumer.filter { $0.hasPrefix("p\(p)-") }.map { Int($0.split(separator: "-")[1])! }
                #expect(mine == mine.sorted())
            }
        }
        for zk in clients { await zk.close() }
    }

    @Test("semaphore with 2 leases: 5 clients × 3 rounds never exceed 2 holders")
    func semaphore() async throws {
        let server = try SharedServer.server
        let path = TestSupport.basePath()
        let monitor = ExclusionMonitor()
        var clients: [ZooKeeperClient] = []
        for _ in 0..<5 { clients.append(try await TestSupport.connect(server)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, zk) in clients.enumerated() {
                group.addTask {
                    let semaphore = DistributedSemaphore(client: zk, path: path, maxLeases: 2)
                    for round in 0..<3 {
                        let lease = try await semaphore.acquire(timeout: .seconds(60))
                        await monitor.enter("c\(i)-\(round)", token: lease.fencingToken)
                        _ = try await zk.sync(path)  // hold it across a server round trip
                        await monitor.leave("c\(i)-\(round)")
                        try await lease.release()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(await monitor.maxConcurrent <= 2)
        #expect(await monitor.tokens.count == 15)
        #expect(try await clients[0].getChildren(path + "/leases").isEmpty)
        for zk in clients { await zk.close() }
    }

    @Test("a leader whose client closes stops leading and the next candidate takes over")
    func leaderClientCloses() async throws {
        let server = try SharedServer.server
        let path = TestSupport.basePath() + "/leader"
        let a = try await TestSupport.connect(server)
        let b = try await TestSupport.connect(server)
        let first = LeaderLatch(client: a, path: path, participantId: "a")
        try await first.start()
        let token = try await TestSupport.within(.seconds(10)) { try await first.awaitLeadership() }
        let second = LeaderLatch(client: b, path: path, participantId: "b")
        try await second.start()
        #expect(await second.hasLeadership == false)
        await a.close()
        let next = try await TestSupport.within(.seconds(10)) { try await second.awaitLeadership() }
        #expect(next > token)
        #expect(await first.hasLeadership == false)
        let result = try await LeaderLatch(client: b, path: path + "2").lead { token in token > 0 }
        #expect(result)
        await second.close()
        await b.close()
    }
}
