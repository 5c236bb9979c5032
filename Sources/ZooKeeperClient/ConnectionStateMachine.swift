import NIOCore
import ZooKeeperWire

/// A handle the owner of the state machine maps to a waiting caller.
struct RequestToken: Hashable, Sendable {
    let raw: UInt64
}

/// The client's session and connection bookkeeping as a value type: events in, actions out,
/// no channel, no clock (time comes in as `now`). Modelled on postgres-nio's
/// `ConnectionStateMachine`; ZooKeeper's rules come from `ClientCnxn`.
struct ConnectionStateMachine: Sendable {
    enum State: Hashable, Sendable {
        /// Not yet connected, or between connection attempts.
        case disconnected
        /// A TCP connection is up and the ConnectRequest is out.
        case handshaking
        case connected
        case closing
        case closed
        case expired
        case authFailed

        var isTerminal: Bool { self == .closed || self == .expired || self == .authFailed }
    }

    struct Session: Hashable, Sendable {
        var id: Int64
        var password: [UInt8]
        var timeout: Int32
    }

    struct Pending: Hashable, Sendable {
        var token: RequestToken
        var xid: Int32
        var op: OpCode
        var deadline: NIODeadline
        /// The caller already got a timeout; the reply is dropped when it comes.
        var abandoned = false
    }

    struct Queued: Sendable {
        var token: RequestToken
        var request: ZooKeeperRequest
        var deadline: NIODeadline
    }

    private(set) var state: State = .disconnected
    private(set) var session: Session?
    private(set) var lastZxid: Int64 = 0
    private(set) var nextXid: Int32 = 1
    private(set) var sent: [Pending] = []
    private(set) var queued: [Queued] = []
    private(set) var authPackets: [AuthPacket] = []
    private(set) var authWaiters: [RequestToken?] = []
    private(set) var hasBeenConnected = false
    private(set) var reconnectAttempt = 0
    private var lastSend = NIODeadline.distantPast
    private var lastReceive = NIODeadline.distantPast

    let requestedTimeout: Int32

    init(sessionTimeout: Int32, resume: Session? = nil) {
        requestedTimeout = sessionTimeout
        session = resume
    }

    // MARK: connecting

    /// The ConnectRequest for a new TCP connection (same session id and password on reconnect).
    mutating func connectionEstablished(now: NIODeadline) -> ConnectRequest {
        precondition(!state.isTerminal)
        state = .handshaking
        lastSend = now
        lastReceive = now
        return ConnectRequest(
            protocolVersion: 0, lastZxidSeen: lastZxid, timeOut: session?.timeout ?? requestedTimeout,
            sessionId: session?.id ?? 0, passwd: session?.password ?? [UInt8](repeating: 0, count: 16))
    }

    enum HandshakeAction: Sendable {
        /// Session (re-)established: send these re-registrations and queued requests in order.
        case established(reconnected: Bool, authPackets: [AuthPacket], requests: [(xid: Int32, request: ZooKeeperRequest)])
        /// The server says the session is gone. Fail these callers; the client is finished.
        case expired(fail: [RequestToken])
    }

    mutating func handshakeReceived(_ response: ConnectResponse, now: NIODeadline) -> HandshakeAction {
        lastReceive = now
        if response.timeOut <= 0 {
            state = .expired
            return .expired(fail: drainAll())
        }
        let reconnected = hasBeenConnected
        session = Session(id: response.sessionId, password: response.passwd, timeout: response.timeOut)
        state = .connected
        hasBeenConnected = true
        reconnectAttempt = 0
        authWaiters = authPackets.map { _ in nil }
        let ready = queued
        queued = []
        var requests: [(xid: Int32, request: ZooKeeperRequest)] = []
        for q in ready {
            let xid = takeXid()
            sent.append(Pending(token: q.token, xid: xid, op: q.request.opCode, deadline: q.deadline))
            requests.append((xid, q.request))
        }
        lastSend = now
        return .established(reconnected: reconnected, authPackets: authPackets, requests: requests)
    }

    // MARK: requests

    enum SubmitAction: Equatable, Sendable {
        case write(xid: Int32)
        case queued
        case fail(ZooKeeperError)
    }

    mutating func requestSubmitted(_ request: ZooKeeperRequest, token: RequestToken, now: NIODeadline, deadline: NIODeadline) -> SubmitAction {
        switch state {
        case .connected:
            let xid = takeXid()
            sent.append(Pending(token: token, xid: xid, op: request.opCode, deadline: deadline))
            lastSend = now
            return .write(xid: xid)
        case .disconnected, .handshaking:
            queued.append(Queued(token: token, request: request, deadline: deadline))
            return .queued
        case .closing, .closed: return .fail(.closed)
        case .expired: return .fail(.sessionExpired)
        case .authFailed: return .fail(ZooKeeperError(.authFailed))
        }
    }

    enum AuthAction: Equatable, Sendable {
        case write
        case queued
        case fail(ZooKeeperError)
    }

    /// `addAuth`: remembered for every later connection, sent now if connected.
    mutating func authSubmitted(_ packet: AuthPacket, token: RequestToken, now: NIODeadline) -> AuthAction {
        switch state {
        case .connected:
            authPackets.append(packet)
            authWaiters.append(token)
            lastSend = now
            return .write
        case .disconnected, .handshaking:
            authPackets.append(packet)
            return .queued
        case .closing, .closed: return .fail(.closed)
        case .expired: return .fail(.sessionExpired)
        case .authFailed: return .fail(ZooKeeperError(.authFailed))
        }
    }

    // MARK: replies

    enum ReplyAction: Equatable, Sendable {
        /// The reply to this request; its body follows the header.
        case complete(Pending)
        /// A reply whose caller already timed out.
        case dropped
        /// A watch notification; a `WatcherEvent` follows.
        case notification
        case ping
        /// Reply to an auth packet (token nil for a re-sent one). `authFailed`: the client is finished.
        case auth(RequestToken?, err: Int32, fail: [RequestToken])
        case setWatches(err: Int32)
        /// The server broke the protocol (xid out of order): close the connection.
        case protocolViolation(String)
    }

    mutating func replyReceived(_ header: ReplyHeader, now: NIODeadline) -> ReplyAction {
        lastReceive = now
        if header.zxid > 0 { lastZxid = max(lastZxid, header.zxid) }
        switch header.xid {
        case SpecialXid.notification: return .notification
        case SpecialXid.ping: return .ping
        case SpecialXid.setWatches: return .setWatches(err: header.err)
        case SpecialXid.auth:
            let waiter = authWaiters.isEmpty ? nil : authWaiters.removeFirst()
            if header.err == ErrorCode.authFailed.rawValue {
                state = .authFailed
                var fail = drainAll()
                if let waiter { fail.insert(waiter, at: 0) }
                return .auth(nil, err: header.err, fail: fail)
            }
            return .auth(waiter, err: header.err, fail: [])
        default:
            guard let head = sent.first else {
                return .protocolViolation("reply xid \(header.xid) with no request outstanding")
            }
            guard head.xid == header.xid else {
                return .protocolViolation("Xid out of order. Got Xid \(header.xid) but expected \(head.xid)")
            }
            sent.removeFirst()
            return head.abandoned ? .dropped : .complete(head)
        }
    }

    // MARK: connection loss, timers, close

    struct LostAction: Equatable, Sendable {
        var fail: [RequestToken]
        /// Emit `.suspended` (the first loss after being connected).
        var suspended: Bool
    }

    /// The connection closed or a connect attempt failed. Outstanding and queued
    /// requests fail with connection loss, as in `ClientCnxn.cleanup`.
    mutating func connectionLost() -> LostAction {
        let wasConnected = state == .connected
        if state.isTerminal || state == .closing {
            return LostAction(fail: drainAll(), suspended: false)
        }
        state = .disconnected
        reconnectAttempt += 1
        return LostAction(fail: drainAll(), suspended: wasConnected)
    }

    struct TickAction: Equatable, Sendable {
        var sendPing = false
        /// Nothing heard for two thirds of the session timeout: drop this connection.
        var closeConnection = false
        var timedOut: [RequestToken] = []
    }

    mutating func tick(now: NIODeadline) -> TickAction {
        var action = TickAction()
        for i in sent.indices where !sent[i].abandoned && sent[i].deadline <= now {
            sent[i].abandoned = true
            action.timedOut.append(sent[i].token)
        }
        let expiredQueued = queued.filter { $0.deadline <= now }
        if !expiredQueued.isEmpty {
            queued.removeAll { $0.deadline <= now }
            action.timedOut += expiredQueued.map(\.token)
        }
        guard state == .connected || state == .handshaking, let timeout = Int64(exactly: session?.timeout ?? requestedTimeout) else {
            return action
        }
        let readTimeout = TimeAmount.milliseconds(timeout * 2 / 3)
        if now - lastReceive > readTimeout {
            action.closeConnection = true
        } else if state == .connected && now - lastSend >= TimeAmount.milliseconds(timeout / 3) {
            action.sendPing = true
            lastSend = now
        }
        return action
    }

    /// The caller stopped waiting (task cancelled): a queued request is dropped, a sent one
    /// keeps its place in the reply order and its reply is dropped. True if it was outstanding.
    mutating func requestAbandoned(_ token: RequestToken) -> Bool {
        if let i = queued.firstIndex(where: { $0.token == token }) {
            queued.remove(at: i)
            return true
        }
        if let i = sent.firstIndex(where: { $0.token == token && !$0.abandoned }) {
            sent[i].abandoned = true
            return true
        }
        return false
    }

    enum CloseAction: Equatable, Sendable {
        /// Send closeSession with this xid and wait for the reply.
        case sendCloseSession(xid: Int32)
        /// Nothing to tell the server; fail these callers.
        case closed(fail: [RequestToken])
    }

    mutating func closeRequested(token: RequestToken, now: NIODeadline, deadline: NIODeadline) -> CloseAction {
        if state == .connected {
            let xid = takeXid()
            sent.append(Pending(token: token, xid: xid, op: .closeSession, deadline: deadline))
            state = .closing
            return .sendCloseSession(xid: xid)
        }
        if !state.isTerminal { state = .closed }
        return .closed(fail: drainAll())
    }

    /// The close finished (reply received, or gave up): fail anything left.
    mutating func closed() -> [RequestToken] {
        if state != .expired && state != .authFailed { state = .closed }
        return drainAll()
    }

    /// Jittered exponential back-off before reconnect attempt `reconnectAttempt`
    /// (`jitter` in 0..<1 comes from the caller's random source).
    func reconnectDelay(jitter: Double, base: TimeAmount = .milliseconds(50), cap: TimeAmount = .seconds(2)) -> TimeAmount {
        guard reconnectAttempt > 1 else { return .nanoseconds(Int64(Double(base.nanoseconds) * jitter)) }
        let exponent = min(reconnectAttempt - 1, 16)
        let raw = min(cap.nanoseconds, base.nanoseconds << Int64(exponent))
        return .nanoseconds(raw / 2 + Int64(Double(raw / 2) * jitter))
    }

    // MARK: helpers

    private mutating func takeXid() -> Int32 {
        let xid = nextXid
        nextXid = nextXid == Int32.max ? 1 : nextXid + 1
        return xid
    }

    private mutating func drainAll() -> [RequestToken] {
        let tokens = sent.filter { !$0.abandoned }.map(\.token) + queued.map(\.token) + authWaiters.compactMap { $0 }
        sent = []
        queued = []
        authWaiters = []
        return tokens
    }
}
