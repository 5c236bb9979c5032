import Testing
import ZooKeeperClient
import ZooKeeperWire

@Suite("Reconnect and session lifetime")
struct ReconnectTests {
    let b = TestSupport.bytes

    /// Standalone restart on the same port and dataDir. Apache ZooKeeper restores sessions
    /// from its snapshot/log, so the client resumes the same session and its watches.
    @Test("after a server restart the client reconnects with the same session and re-registers watches")
    func restartSameSession() async throws {
        let server = try TestServer()
        try await server.start()
        do {
            let zk = try await TestSupport.connect(server, sessionTimeout: .seconds(20))
            let states = await zk.connectionStates()
            let base = TestSupport.basePath()
            try await zk.create(base, data: b("v"))
            try await zk.create(base + "/eph", options: .ephemeral)
            let (_, watch) = try await zk.getData(base, watch: true)
            let recursive = try await zk.addWatch(base, mode: .persistentRecursive)
            let session = await zk.sessionId

            try await server.restart()
            let s1 = try await TestSupport.within(.seconds(30)) { () -> ConnectionState? in
                for await s in states { return s }
                return nil
            }
            #expect(s1 == .suspended)
            let node = try await zk.withRetry(RetryPolicy(maxRetries: 30, baseDelay: .milliseconds(100), maxDelay: .milliseconds(500))) {
                try await $0.getData(base)
            }
            #expect(node.data == b("v"))
            #expect(await zk.sessionId == session)
            #expect(try await zk.exists(base + "/eph")?.ephemeralOwner == session)

            // Watches were re-registered with setWatches2: a change made after the restart fires them.
            let other = try await TestSupport.connect(server)
            try await other.setData(base, data: b("w"))
            #expect(try await TestSupport.within(.seconds(10)) { await watch.event() } == WatchEvent(type: .nodeDataChanged, path: base))
            let first = try await TestSupport.within(.seconds(10)) { () -> WatchEvent? in
                for await e in recursive { return e }
                return nil
            }
            #expect(first == WatchEvent(type: .nodeDataChanged, path: base))
            await other.close()
            await zk.close()
        } catch {
            await server.cleanup()
            throw error
        }
        await server.cleanup()
    }

    @Test("state stream reports connected, suspended, reconnected across a restart")
    func stateStream() async throws {
        let server = try TestServer()
        try await server.start()
        do {
            let zk = ZooKeeperClient(configuration: .init(connectionString: try ConnectionString(server.connectString),
                                                          sessionTimeout: .seconds(20)))
            let states = await zk.connectionStates()
            try await zk.start()
            try await server.restart()
            let seen = try await TestSupport.within(.seconds(60)) { () -> [ConnectionState] in
                var out: [ConnectionState] = []
                for await s in states {
                    out.append(s)
                    if s == .reconnected { break }
                }
                return out
            }
            #expect(seen == [.connected, .suspended, .reconnected])
            await zk.close()
        } catch {
            await server.cleanup()
            throw error
        }
        await server.cleanup()
    }

    @Test("2000 watches (1.2 MB of paths, over jute.maxbuffer) are re-registered after a restart in setWatches2 frames of ≤128 KB")
    func manyWatchesAfterRestart() async throws {
        let server = try TestServer()
        try await server.start()
        do {
            let zk = try await TestSupport.connect(server, sessionTimeout: .seconds(20))
            let base = TestSupport.basePath()
            try await zk.create(base)
            let long = String(repeating: "w", count: 560)  // 2000 × ~600 bytes: more than jute.maxbuffer (1 MB) in one frame
            let paths = (0..<2000).map { "\(base)/\(long)-\($0)" }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for p in paths { group.addTask { try await zk.create(p) } }
                try await group.waitForAll()
            }
            var watches: [Watch] = []
            for p in paths { watches.append(try await zk.getData(p, watch: true).watch) }
            try await server.restart()
            let other = try await TestSupport.connect(server)
            _ = try await zk.withRetry(RetryPolicy(maxRetries: 30, baseDelay: .milliseconds(100), maxDelay: .milliseconds(500))) {
                try await $0.sync(base)
            }
            try await other.setData(paths[0], data: [1])
            try await other.setData(paths[1999], data: [1])
            let first = watches[0], last = watches[1999]
            #expect(try await TestSupport.within(.seconds(10)) { await first.event() } == WatchEvent(type: .nodeDataChanged, path: paths[0]))
            #expect(try await TestSupport.within(.seconds(10)) { await last.event() } == WatchEvent(type: .nodeDataChanged, path: paths[1999]))
            await other.close()
            await zk.close()
        } catch {
            await server.cleanup()
            throw error
        }
        await server.cleanup()
    }

    @Test("ensemble of 3: stopping the member the client is on moves the session, its ephemeral and watches to another")
    func ensembleFailover() async throws {
        let servers = try await TestServer.startEnsemble(count: 3)
        do {
            let connect = servers.map(\.connectString).joined(separator: ",")
            let zk = try await ZooKeeperClient.connect(connect, sessionTimeout: .seconds(20))
            let states = await zk.connectionStates()
            let base = TestSupport.basePath()
            try await zk.create(base)
            try await zk.create(base + "/eph", options: .ephemeral)
            let (_, watch) = try await zk.getData(base, watch: true)
            let session = await zk.sessionId
            let host = try #require(await zk.currentHost)
            let victim = try #require(servers.first { $0.port == host.port })
            await victim.stop()
            let seen = try await TestSupport.within(.seconds(60)) { () -> [ConnectionState] in
                var out: [ConnectionState] = []
                for await s in states {
                    out.append(s)
                    if s == .reconnected || s == .expired { break }
                }
                return out
            }
            #expect(seen == [.suspended, .reconnected])
            #expect(await zk.sessionId == session)
            #expect(await zk.currentHost?.port != victim.port)
            #expect(try await zk.exists(base + "/eph")?.ephemeralOwner == session)
            let survivor = try #require(servers.first { $0.port != victim.port })
            let other = try await TestSupport.connect(survivor)
            try await other.setData(base, data: [1])
            #expect(try await TestSupport.within(.seconds(10)) { await watch.event() } == WatchEvent(type: .nodeDataChanged, path: base))
            await other.close()
            await zk.close()
        } catch {
            for s in servers { await s.cleanup() }
            throw error
        }
        for s in servers { await s.cleanup() }
    }

    @Test("connecting to a dead port fails within the connect timeout")
    func connectFailure() async throws {
        let port = try TestServer.freePort()
        let config = ZooKeeperClient.Configuration(
            connectionString: try ConnectionString("127.0.0.1:\(port)"), sessionTimeout: .seconds(2),
            connectTimeout: .milliseconds(500))
        await #expect(throws: ZooKeeperError.self) {
            _ = try await ZooKeeperClient.connect(configuration: config)
        }
    }
}
