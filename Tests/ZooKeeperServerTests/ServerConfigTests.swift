import Testing
@testable import ZooKeeperServer

@Suite("zoo.cfg parsing")
struct ServerConfigTests {
    @Test("the keys ZooKeeper users set are read, with ZooKeeper's defaults")
    func readsKnownKeys() throws {
        let c = try ServerConfig.parse(text: """
            # comment
            tickTime=500
            clientPort=2999
            clientPortAddress=127.0.0.1
            dataDir=/tmp/x
            maxClientCnxns=5
            4lw.commands.whitelist=ruok, srvr ,mntr
            extendedTypesEnabled=true
            jute.maxbuffer=4096
            forceSync=no
            server.1=127.0.0.1:2888:3888
            server.2=127.0.0.1:2889:3889:observer;127.0.0.1:2182
            """, file: "zoo.cfg")
        #expect(c.tickTime == 500)
        #expect(c.clientPort == 2999)
        #expect(c.minSessionTimeout == 1000 && c.maxSessionTimeout == 10000)
        #expect(c.maxClientCnxns == 5)
        #expect(c.isFourLetterWordEnabled("ruok") && c.isFourLetterWordEnabled("mntr") && !c.isFourLetterWordEnabled("dump"))
        #expect(c.extendedTypesEnabled)
        #expect(c.juteMaxBuffer == 4096)
        #expect(!c.forceSync)
        #expect(c.servers.count == 2)
        #expect(c.servers[1] == PeerSpec(id: 2, host: "127.0.0.1", peerPort: 2889, electionPort: 3889, role: .observer, clientAddress: "127.0.0.1", clientPort: 2182))
        #expect(c.warnings.isEmpty)
    }

    @Test("an unset 4lw whitelist allows only srvr, as ZooKeeper does; * allows all")
    func whitelistDefault() throws {
        let c = try ServerConfig.parse(text: "clientPort=1\n", file: "f")
        #expect(c.isFourLetterWordEnabled("srvr"))
        #expect(!c.isFourLetterWordEnabled("ruok"))
        let all = try ServerConfig.parse(text: "4lw.commands.whitelist=*\n", file: "f")
        #expect(all.isFourLetterWordEnabled("dump"))
    }

    @Test("an invalid value names the file, line and key")
    func invalidValue() {
        do {
            _ = try ServerConfig.parse(text: "tickTime=2000\nclientPort=abc\n", file: "/etc/zoo.cfg")
            Issue.record("expected an error")
        } catch let e as ConfigError {
            #expect(e.file == "/etc/zoo.cfg" && e.line == 2 && e.key == "clientPort")
            #expect(e.description.contains("/etc/zoo.cfg:2: key 'clientPort'"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("bad server lines and booleans are errors")
    func badLines() {
        #expect(throws: ConfigError.self) { try ServerConfig.parse(text: "server.1=host:2888\n", file: "f") }
        #expect(throws: ConfigError.self) { try ServerConfig.parse(text: "server.x=host:1:2\n", file: "f") }
        #expect(throws: ConfigError.self) { try ServerConfig.parse(text: "forceSync=maybe\n", file: "f") }
        #expect(throws: ConfigError.self) { try ServerConfig.parse(text: "minSessionTimeout=5000\nmaxSessionTimeout=100\n", file: "f") }
        #expect(throws: ConfigError.self) { try ServerConfig.parse(text: "justakey\n", file: "f") }
    }

    @Test("unknown keys warn with file and line; Java-internal keys are reported once as ignored")
    func warnings() throws {
        let c = try ServerConfig.parse(text: "frobnicate=1\nserverCnxnFactory=org.x\nssl.keyStore.location=a\nssl.trustStore.location=b\n", file: "z.cfg")
        #expect(c.warnings.count == 3)
        #expect(c.warnings[0].description.contains("z.cfg:1") && c.warnings[0].description.contains("unknown"))
        #expect(c.warnings[1].description.contains("ignored"))
    }

    @Test("-D system properties from argv and SERVER_JVMFLAGS are applied")
    func systemProperties() throws {
        let (props, rest) = ServerConfig.systemProperties(
            arguments: ["-Djute.maxbuffer=8192", "zoo.cfg"],
            environment: ["SERVER_JVMFLAGS": "-Xmx1g -Dzookeeper.DigestAuthenticationProvider.superDigest=super:abc -Dfoo.bar=1"])
        #expect(rest == ["zoo.cfg"])
        var c = try ServerConfig.parse(text: "", file: "f")
        try c.apply(systemProperties: props)
        #expect(c.juteMaxBuffer == 8192)
        #expect(c.superDigest == "super:abc")
        #expect(c.warnings.contains { $0.key == "foo.bar" })
    }
}

@Suite("session expiry buckets")
struct SessionExpiryQueueTests {
    @Test("deadlines round up to the next tick and expire together")
    func buckets() {
        var q = SessionExpiryQueue(interval: 1000)
        q.touch(1, timeout: 2500, now: 10_000)   // 12_500 → 13_000
        q.touch(2, timeout: 2900, now: 10_000)   // 12_900 → 13_000
        q.touch(3, timeout: 5000, now: 10_000)   // 15_000 → 16_000
        #expect(q.deadline(of: 1) == 13_000 && q.deadline(of: 2) == 13_000)
        #expect(q.expire(now: 12_999).isEmpty)
        #expect(q.expire(now: 13_000) == [1, 2])
        #expect(q.count == 1)
    }

    @Test("a touch moves the deadline; removed sessions never expire")
    func touchAndRemove() {
        var q = SessionExpiryQueue(interval: 100)
        q.touch(1, timeout: 1000, now: 0)
        q.touch(1, timeout: 1000, now: 900)
        #expect(q.expire(now: 1100).isEmpty)
        #expect(q.expire(now: 2000) == [1])
        q.touch(2, timeout: 10, now: 0)
        q.remove(2)
        #expect(q.expire(now: 10_000).isEmpty)
    }

    @Test("session ids carry the server id in the high byte; passwords are stable")
    func ids() {
        let id = SessionIds.firstSessionId(serverId: 3, nowMillis: 1_764_000_000_000)
        #expect(id >> 56 == 3)
        #expect(SessionIds.password(sessionId: id, secret: 1) == SessionIds.password(sessionId: id, secret: 1))
        #expect(SessionIds.password(sessionId: id, secret: 1) != SessionIds.password(sessionId: id + 1, secret: 1))
        #expect(SessionIds.password(sessionId: id, secret: 1).count == 16)
        #expect(SessionIds.negotiateTimeout(requested: 100, min: 4000, max: 40000) == 4000)
        #expect(SessionIds.negotiateTimeout(requested: 100_000, min: 4000, max: 40000) == 40000)
    }
}
