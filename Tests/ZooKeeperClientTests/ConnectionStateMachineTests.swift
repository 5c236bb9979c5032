import NIOCore
import Testing
@testable import ZooKeeperClient
import ZooKeeperWire

@Suite("ConnectionStateMachine without a channel")
struct ConnectionStateMachineTests {
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
    func at(_ ms: Int64) -> NIODeadline { t0 + .milliseconds(ms) }
    func token(_ n: UInt64) -> RequestToken { RequestToken(raw: n) }
    let response = ConnectResponse(timeOut: 3000, sessionId: 0x1234, passwd: Array(repeating: 7, count: 16))

    func connected() -> ConnectionStateMachine {
        var m = ConnectionStateMachine(sessionTimeout: 6000)
        _ = m.connectionEstablished(now: t0)
        _ = m.handshakeReceived(response, now: t0)
        return m
    }

    @Test("first handshake asks for the requested timeout with session 0; reconnect reuses id, password, lastZxid")
    func handshakeRequests() {
        var m = ConnectionStateMachine(sessionTimeout: 6000)
        let first = m.connectionEstablished(now: t0)
        #expect(first.sessionId == 0 && first.timeOut == 6000 && first.passwd == Array(repeating: 0, count: 16))
        guard case .established(let reconnected, _, _) = m.handshakeReceived(response, now: t0) else {
            Issue.record("not established"); return
        }
        #expect(!reconnected)
        _ = m.requestSubmitted(.ping, token: token(1), now: t0, deadline: at(1000))
        _ = m.replyReceived(ReplyHeader(xid: 1, zxid: 0x500, err: 0), now: t0)
        #expect(m.connectionLost() == .init(fail: [], suspended: true))
        let again = m.connectionEstablished(now: at(10))
        #expect(again.sessionId == 0x1234 && again.passwd == response.passwd && again.lastZxidSeen == 0x500 && again.timeOut == 3000)
        guard case .established(let re, _, _) = m.handshakeReceived(response, now: at(20)) else {
            Issue.record("not established"); return
        }
        #expect(re)
    }

    @Test("pipelined requests get increasing xids and replies must come back in order")
    func pipelineOrder() {
        var m = connected()
        #expect(m.requestSubmitted(.whoAmI, token: token(1), now: t0, deadline: at(1000)) == .write(xid: 1))
        #expect(m.requestSubmitted(.whoAmI, token: token(2), now: t0, deadline: at(1000)) == .write(xid: 2))
        guard case .complete(let p1) = m.replyReceived(ReplyHeader(xid: 1, zxid: 5), now: t0) else {
            Issue.record("xid 1 not completed"); return
        }
        #expect(p1.token == token(1))
        #expect(m.replyReceived(ReplyHeader(xid: 9, zxid: 5), now: t0) == .protocolViolation("Xid out of order. Got Xid 9 but expected 2"))
    }

    @Test("requests while disconnected queue, go out after the handshake, and fail on a failed attempt")
    func queueing() {
        var m = ConnectionStateMachine(sessionTimeout: 6000)
        #expect(m.requestSubmitted(.whoAmI, token: token(1), now: t0, deadline: at(1000)) == .queued)
        _ = m.connectionEstablished(now: t0)
        guard case .established(_, _, let requests) = m.handshakeReceived(response, now: t0) else {
            Issue.record("not established"); return
        }
        #expect(requests.map(\.xid) == [1])
        #expect(m.connectionLost() == .init(fail: [token(1)], suspended: true))
        #expect(m.requestSubmitted(.whoAmI, token: token(2), now: t0, deadline: at(1000)) == .queued)
        #expect(m.connectionLost() == .init(fail: [token(2)], suspended: false))
    }

    @Test("a handshake with timeout 0 means the session expired: terminal, everything fails")
    func expiry() {
        var m = connected()
        _ = m.connectionLost()
        _ = m.requestSubmitted(.whoAmI, token: token(3), now: t0, deadline: at(1000))
        _ = m.connectionEstablished(now: t0)
        guard case .expired(let failed) = m.handshakeReceived(ConnectResponse(timeOut: 0, sessionId: 0, passwd: []), now: t0) else {
            Issue.record("not expired"); return
        }
        #expect(failed == [token(3)])
        #expect(m.state == .expired)
        #expect(m.requestSubmitted(.whoAmI, token: token(4), now: t0, deadline: at(1000)) == .fail(.sessionExpired))
    }

    @Test("pings after a third of the timeout idle; read timeout after two thirds silent")
    func pingsAndReadTimeout() {
        var m = connected()  // negotiated 3000 ms
        #expect(m.tick(now: at(900)) == .init())
        #expect(m.tick(now: at(1000)).sendPing)
        #expect(!m.tick(now: at(1500)).sendPing)
        #expect(m.tick(now: at(2001)).closeConnection)
        _ = m.replyReceived(ReplyHeader(xid: SpecialXid.ping, zxid: 0), now: at(2001))
        #expect(!m.tick(now: at(2100)).closeConnection)
    }

    @Test("a timed-out request fails once and its late reply is dropped, keeping order")
    func requestTimeout() {
        var m = connected()
        _ = m.requestSubmitted(.whoAmI, token: token(1), now: t0, deadline: at(100))
        _ = m.requestSubmitted(.whoAmI, token: token(2), now: t0, deadline: at(5000))
        #expect(m.tick(now: at(150)).timedOut == [token(1)])
        #expect(m.tick(now: at(160)).timedOut == [])
        #expect(m.replyReceived(ReplyHeader(xid: 1, zxid: 1), now: at(170)) == .dropped)
        guard case .complete(let p) = m.replyReceived(ReplyHeader(xid: 2, zxid: 1), now: at(170)) else {
            Issue.record("xid 2 not completed"); return
        }
        #expect(p.token == token(2))
    }

    @Test("an abandoned (cancelled) request keeps its place: its reply is dropped, the next completes")
    func abandon() {
        var m = connected()
        _ = m.requestSubmitted(.whoAmI, token: token(1), now: t0, deadline: at(1000))
        _ = m.requestSubmitted(.whoAmI, token: token(2), now: t0, deadline: at(1000))
        let first = m.requestAbandoned(token(1))
        let second = m.requestAbandoned(token(1))
        #expect(first && !second)
        #expect(m.replyReceived(ReplyHeader(xid: 1, zxid: 1), now: t0) == .dropped)
        guard case .complete(let p) = m.replyReceived(ReplyHeader(xid: 2, zxid: 1), now: t0) else {
            Issue.record("xid 2 not completed"); return
        }
        #expect(p.token == token(2))
        #expect(m.tick(now: at(2000)).timedOut == [])
    }

    @Test("AUTHFAILED is terminal; auth packets are re-sent on reconnect")
    func auth() {
        var m = connected()
        let packet = AuthPacket(scheme: "digest", auth: Array("a:b".utf8))
        #expect(m.authSubmitted(packet, token: token(1), now: t0) == .write)
        #expect(m.replyReceived(ReplyHeader(xid: SpecialXid.auth, zxid: 0, err: 0), now: t0) == .auth(token(1), err: 0, fail: []))
        _ = m.connectionLost()
        _ = m.connectionEstablished(now: t0)
        guard case .established(_, let packets, _) = m.handshakeReceived(response, now: t0) else {
            Issue.record("not established"); return
        }
        #expect(packets == [packet])
        _ = m.requestSubmitted(.whoAmI, token: token(2), now: t0, deadline: at(1000))
        #expect(m.replyReceived(ReplyHeader(xid: SpecialXid.auth, zxid: 0, err: ErrorCode.authFailed.rawValue), now: t0)
            == .auth(nil, err: ErrorCode.authFailed.rawValue, fail: [token(2)]))
        #expect(m.state == .authFailed)
    }

    @Test("reconnect back-off is jittered, grows exponentially and is capped")
    func backoff() {
        var m = connected()
        _ = m.connectionLost()
        #expect(m.reconnectDelay(jitter: 0.5) == .milliseconds(25))
        for _ in 0..<20 { _ = m.connectionLost() }
        #expect(m.reconnectDelay(jitter: 0) == .seconds(1))
        #expect(m.reconnectDelay(jitter: 0.999) <= .seconds(2))
    }

    @Test("close sends closeSession when connected and fails nothing else")
    func close() {
        var m = connected()
        #expect(m.closeRequested(token: token(1), now: t0, deadline: at(100)) == .sendCloseSession(xid: 1))
        #expect(m.requestSubmitted(.whoAmI, token: token(2), now: t0, deadline: at(100)) == .fail(.closed))
    }
}

@Suite("WatchRegistry and ConnectionString")
struct WatchRegistryTests {
    @Test("events fire the watches ZooKeeper's ZKWatchManager fires")
    func routing() {
        var r = WatchRegistry()
        let (d, e, c, p, rec) = (WatcherID(raw: 1), WatcherID(raw: 2), WatcherID(raw: 3), WatcherID(raw: 4), WatcherID(raw: 5))
        r.add(d, kind: .data, path: "/a")
        r.add(e, kind: .exist, path: "/a")
        r.add(c, kind: .child, path: "/a")
        r.add(p, kind: .persistent, path: "/a")
        r.add(rec, kind: .persistentRecursive, path: "/")
        #expect(r.fire(type: .nodeChildrenChanged, path: "/a") == [c, p])
        #expect(r.fire(type: .nodeDataChanged, path: "/a") == [d, e, p, rec])
        #expect(r.fire(type: .nodeDataChanged, path: "/a") == [p, rec])
        #expect(r.fire(type: .nodeCreated, path: "/a/b/c") == [rec])
        #expect(r.fire(type: .nodeChildrenChanged, path: "/") == [])
    }

    @Test("setWatches2 re-registration splits at 128 KB of paths and keeps every watch")
    func setWatchesSplit() {
        var r = WatchRegistry()
        var n: UInt64 = 0
        for i in 0..<3000 {
            n += 1
            r.add(WatcherID(raw: n), kind: i % 2 == 0 ? .data : .child, path: "/" + String(repeating: "x", count: 90) + "\(i)")
        }
        let frames = r.setWatchesRequests(relativeZxid: 42)
        #expect(frames.count > 1)
        for f in frames {
            let bytes = (f.dataWatches + f.childWatches).reduce(0) { $0 + $1.utf8.count }
            #expect(bytes <= 128 * 1024)
            #expect(f.relativeZxid == 42)
        }
        #expect(frames.reduce(0) { $0 + $1.dataWatches.count + $1.childWatches.count } == 3000)
    }

    @Test("connection strings: several hosts, default port, IPv6, chroot")
    func connectionString() throws {
        let cs = try ConnectionString("h1:2181, h2 ,[::1]:2182/app/x/")
        #expect(cs.hosts == [.init(host: "h1", port: 2181), .init(host: "h2", port: 2181), .init(host: "::1", port: 2182)])
        #expect(cs.chroot == "/app/x")
        #expect(cs.serverPath("/") == "/app/x")
        #expect(cs.serverPath("/a") == "/app/x/a")
        #expect(cs.clientPath("/app/x/a") == "/a")
        #expect(cs.clientPath("/app/x") == "/")
        #expect(try ConnectionString("h:1/").chroot == nil)
        #expect(throws: ZooKeeperError.self) { try ConnectionString("h:notaport") }
        #expect(throws: ZooKeeperError.self) { try ConnectionString("") }
        #expect(throws: ZooKeeperError.self) { try PathValidation.validate("/a//b") }
        #expect(throws: ZooKeeperError.self) { try PathValidation.validate("/a/../b") }
        #expect(throws: ZooKeeperError.self) { try PathValidation.validate("/a/") }
        try PathValidation.validate("/a/", sequential: true)
        try PathValidation.validate("/a/.b")
    }
}
