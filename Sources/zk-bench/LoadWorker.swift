import NIOCore
import ZooKeeperWire

/// The connections of one event loop in a load run, and their statistics. Confined to `loop`;
/// the main task talks to it through `NIOLoopBound` and Sendable snapshots.
final class LoadWorker {
    struct Snapshot: Sendable {
        var replies = 0
        var measured = 0
        var errors = 0
        var outstanding = 0
        var done = false
    }

    struct Result: Sendable {
        var stats: LatencyStats
        var lastReplyNs: UInt64
        var connected: Int
    }

    let loop: any EventLoop
    let workload: Workload
    let options: BenchOptions
    private var conns: [BenchConnection] = []
    private var rngs: [SplitMix64] = []
    private var seqs: [Int] = []
    private var remaining: [Int] = []
    private var finished: [Bool] = []
    private var active = 0
    private var stats = LatencyStats()
    private var replies = 0
    private var measureFromNs: UInt64 = 0
    private var endNs: UInt64 = .max
    private var lastReplyNs: UInt64 = 0
    private var donePromise: EventLoopPromise<Void>?
    private(set) var connectFailures: [String: Int] = [:]

    init(loop: any EventLoop, workload: Workload, options: BenchOptions) {
        self.loop = loop
        self.workload = workload
        self.options = options
    }

    /// Opens one session per global index (spread over the hosts); completes with how many opened.
    func connect(indices: [Int]) -> EventLoopFuture<Int> {
        let promise = loop.makePromise(of: Int.self)
        var left = indices.count
        if left == 0 { promise.succeed(0) }
        for i in indices {
            let host = options.hosts[i % options.hosts.count]
            SessionOpener.open(on: loop, host: host.host, port: host.port, index: i, timeoutMs: options.sessionTimeoutMs) { [self] result in
                switch result {
                case .success(let conn): adopt(conn)
                case .failure(let e): connectFailures["connect: \(e)", default: 0] += 1
                }
                left -= 1
                if left == 0 { promise.succeed(conns.count) }
            }
        }
        return promise.futureResult
    }

    private func adopt(_ conn: BenchConnection) {
        let local = conns.count
        conns.append(conn)
        rngs.append(SplitMix64(seed: UInt64(conn.index) &* 0x2545_F491_4F6C_DD1D &+ 1))
        seqs.append(0)
        remaining.append(Int.max)
        finished.append(false)
        conn.onReply = { [unowned self] c, tag, header, sent, now in replied(local, c, tag, header, sent, now) }
        conn.onClosed = { [unowned self] _, lost in
            stats.recordFailure("CONNECTIONLOSS", count: lost)
            markDone(local)
        }
    }

    /// Runs `requests` on the first connection with `window` in flight; completes with error counts.
    func setup(_ requests: [ZooKeeperRequest], window: Int) -> EventLoopFuture<[String: Int]> {
        let promise = loop.makePromise(of: [String: Int].self)
        guard let conn = conns.first else {
            promise.fail(BenchProtocolError.closed)
            return promise.futureResult
        }
        var nextIndex = 0
        var done = 0
        var errors: [String: Int] = [:]
        let saved = conn.onReply
        func pump(_ now: UInt64) {
            while nextIndex < requests.count && conn.outstanding < window {
                conn.send(requests[nextIndex], tag: 0, now: now)
                nextIndex += 1
            }
        }
        conn.onReply = { c, _, header, _, now in
            done += 1
            if header.err != 0 { errors[LatencyStats.errorName(header.err), default: 0] += 1 }
            if done == requests.count {
                c.onReply = saved
                promise.succeed(errors)
            } else {
                pump(now)
            }
        }
        if requests.isEmpty { conn.onReply = saved; promise.succeed([:]) } else { pump(nowNs()) }
        return promise.futureResult
    }

    /// Starts the closed loop: each connection keeps `inflight` requests outstanding.
    func start(measureFromNs: UInt64, endNs: UInt64, quotas: [Int]?) -> EventLoopFuture<Void> {
        self.measureFromNs = measureFromNs
        self.endNs = endNs
        let promise = loop.makePromise(of: Void.self)
        donePromise = promise
        active = conns.count
        if active == 0 { promise.succeed() }
        let now = nowNs()
        for (local, conn) in conns.enumerated() {
            if let quotas { remaining[local] = quotas[local] }
            for _ in 0..<options.inflight { issue(local, conn, now) }
            if conn.outstanding == 0 { markDone(local) }
        }
        return promise.futureResult
    }

    @inline(__always)
    private func issue(_ local: Int, _ conn: BenchConnection, _ now: UInt64) {
        guard now < endNs, remaining[local] > 0, conn.isOpen else { return }
        if now >= measureFromNs && remaining[local] != Int.max { remaining[local] -= 1 }
        let (request, kind) = workload.next(rng: &rngs[local], connection: conn.index, seq: &seqs[local])
        conn.send(request, tag: kind.rawValue, now: now)
    }

    private func replied(_ local: Int, _ conn: BenchConnection, _ tag: UInt32, _ header: ReplyHeader, _ sent: UInt64, _ now: UInt64) {
        replies += 1
        if sent >= measureFromNs {
            stats.record(ns: now &- sent, err: header.err, kind: tag)
            lastReplyNs = max(lastReplyNs, now)
        }
        issue(local, conn, now)
        if conn.outstanding == 0 { markDone(local) }
    }

    private func markDone(_ local: Int) {
        guard local < finished.count, !finished[local] else { return }
        finished[local] = true
        active -= 1
        if active <= 0, let p = donePromise {
            donePromise = nil
            p.succeed()
        }
    }

    func snapshot() -> Snapshot {
        Snapshot(replies: replies, measured: stats.total, errors: stats.errors.values.reduce(0, +),
                 outstanding: conns.reduce(0) { $0 + $1.outstanding }, done: donePromise == nil)
    }

    /// Stops issuing; connections still waiting count their outstanding requests as lost.
    func abort() {
        endNs = 0
        for c in conns where c.outstanding > 0 { c.close() }
    }

    func finish() -> Result {
        let connected = conns.count
        var s = stats
        for (k, v) in connectFailures { s.recordFailure(k, count: v) }
        return Result(stats: s, lastReplyNs: lastReplyNs, connected: connected)
    }

    /// closeSession on every connection, then the sockets (bounded).
    func closeSessions() -> EventLoopFuture<Void> {
        SessionCloser.closeAll(conns, on: loop)
    }
}
