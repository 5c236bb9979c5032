import Testing
import ZooKeeperClient
import ZooKeeperWire

@Suite("Sessions: hosts, expiry, auth failure", .sharedServer)
struct SessionTests {
    @Test("a connection string with a dead host still connects through the live one")
    func deadHostInList() async throws {
        let server = try SharedServer.server
        let dead = try TestServer.freePort()
        for _ in 0..<3 {
            let zk = try await ZooKeeperClient.connect("127.0.0.1:\(dead),\(server.connectString)", sessionTimeout: .seconds(6))
            #expect(await zk.currentHost == ConnectionString.Host(host: "127.0.0.1", port: server.port))
            #expect(try await zk.exists("/") != nil)
            await zk.close()
        }
    }

    @Test("session expiry: states suspended then expired, watches get Expired, ops fail SESSIONEXPIRED, ephemerals gone")
    func expiry() async throws {
        let server = try SharedServer.server
        let base = TestSupport.basePath()
        let a = try await TestSupport.connect(server, sessionTimeout: .seconds(4))
        let states = await a.connectionStates()
        try await a.create(base)
        try await a.create(base + "/eph", options: .ephemeral)
        let (_, watch) = try await a.getData(base, watch: true)
        // Another connection takes the session over (the server drops A's connection), then closes it.
        try await TestSupport.expireSession(of: a, on: server)
        let seen = try await TestSupport.within(.seconds(30)) { () -> [ConnectionState] in
            var out: [ConnectionState] = []
            for await s in states { out.append(s) }
            return out
        }
        #expect(seen.first == .suspended)
        #expect(seen.last == .expired)
        #expect(try await TestSupport.within(.seconds(10)) { await watch.event() } == WatchEvent(type: .none, state: .expired, path: ""))
        await expectCode(.sessionExpired) { _ = try await a.getData(base) }
        let c = try await TestSupport.connect(server)
        #expect(try await c.exists(base + "/eph") == nil)
        await c.close()
        await a.close()
    }

    @Test("pings keep an idle session alive well past its timeout")
    func pingsKeepSessionAlive() async throws {
        // 4 s: short enough to expire without pings, long enough (read timeout 2.7 s) that a
        // loaded shared 2-core machine does not stall past it.
        let zk = try await TestSupport.connect(try SharedServer.server, sessionTimeout: .milliseconds(4000))
        let states = await zk.connectionStates()
        let session = await zk.sessionId
        #expect(await zk.negotiatedTimeout == 4000)
        // Letting time pass is the point here: two and a half session timeouts without a request.
        try await Task.sleep(for: .milliseconds(10_000))
        #expect(try await zk.exists("/") != nil)
        #expect(await zk.sessionId == session)
        await zk.close()
        var seen: [ConnectionState] = []
        for await s in states { seen.append(s) }
        #expect(seen == [.closed])
    }

    @Test("an auth packet with an unknown scheme fails the client with AUTHFAILED")
    func authFailed() async throws {
        let zk = try await TestSupport.connect(try SharedServer.server)
        let states = await zk.connectionStates()
        await expectCode(.authFailed) { try await zk.addAuth(scheme: "no-such-scheme", auth: Array("x".utf8)) }
        let seen = try await TestSupport.within(.seconds(10)) { () -> [ConnectionState] in
            var out: [ConnectionState] = []
            for await s in states { out.append(s) }
            return out
        }
        #expect(seen == [.authFailed])
        await expectCode(.authFailed) { _ = try await zk.exists("/") }
        await zk.close()
    }
}
