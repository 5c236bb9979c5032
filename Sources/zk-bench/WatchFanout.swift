import Foundation
import NIOCore
import NIOPosix
import ZooKeeperWire

/// `--mode watch-fanout`: W sessions watch one node, one writer sets it; a round lasts from the
/// setData being sent until all W NodeDataChanged events have arrived. Repeated `--rounds` times.
struct FanoutReport: Encodable {
    var tool = "zk-bench"
    var mode = "watch-fanout"
    var hosts: String
    var watchers: Int
    var connected: Int
    var rounds: Int
    var rounds_completed: Int
    var connect_s: Double
    /// Time until the last of the W events arrived, per round.
    var fanout_us: LatencySummary
    /// Time until each single event arrived.
    var delivery_us: LatencySummary
    var events_per_sec: Double
    var errors: [String: Int]
    var started_at: String
}

final class FanoutWorker {
    let loop: any EventLoop
    let options: BenchOptions
    let path: String
    private let pool: ConnectPool
    private var watchers: [BenchConnection] = []
    private var writer: BenchConnection?
    private var roundStats = LatencyStats()
    private var deliveryStats = LatencyStats()
    private var errors: [String: Int] = [:]
    private var armed = 0
    private var delivered = 0
    private var fireNs: UInt64 = 0
    private var round = 0
    private var deadline: UInt64 = .max
    private var roundTimer: Scheduled<Void>?
    private var promise: EventLoopPromise<Void>?
    private var eventNs: UInt64 = 0

    init(loop: any EventLoop, options: BenchOptions) {
        self.loop = loop
        self.options = options
        self.path = options.root + "/watched"
        self.pool = ConnectPool(loop: loop, options: options)
    }

    func connect() -> EventLoopFuture<Int> {
        let p = loop.makePromise(of: Int.self)
        pool.open(count: options.watchers + 1, window: 256) { [self] conns in
            guard conns.count >= 2 else { p.succeed(0); return }
            writer = conns[0]
            watchers = Array(conns.dropFirst())
            for (k, v) in pool.failures { errors["connect: \(k)", default: 0] += v }
            for w in watchers {
                w.onReply = { [unowned self] _, _, header, _, _ in armedOne(header) }
                w.onNotification = { [unowned self] _, event, now in notified(event, now) }
            }
            // The watched node (NODEEXISTS from an earlier run is fine).
            var left = 2
            writer!.onReply = { [unowned self] _, _, header, _, _ in
                if header.err != 0 && header.err != ErrorCode.nodeExists.rawValue { errors[LatencyStats.errorName(header.err), default: 0] += 1 }
                left -= 1
                if left == 0 { p.succeed(watchers.count) }
            }
            writer!.send(.create(CreateRequest(path: options.root)), tag: 0, now: nowNs())
            writer!.send(.create(CreateRequest(path: path, data: Array("v0".utf8))), tag: 0, now: nowNs())
        }
        return p.futureResult
    }

    func run(deadline: UInt64) -> EventLoopFuture<Void> {
        let p = loop.makePromise(of: Void.self)
        promise = p
        self.deadline = deadline
        writer?.onReply = { [unowned self] _, _, header, _, _ in
            if header.err != 0 { errors["set: " + LatencyStats.errorName(header.err), default: 0] += 1 }
        }
        arm()
        return p.futureResult
    }

    private func arm() {
        guard round < options.rounds, nowNs() < deadline, !watchers.isEmpty else { return finish() }
        round += 1
        armed = 0
        delivered = 0
        roundTimer = loop.assumeIsolated().scheduleTask(in: .seconds(15)) { [self] in
            errors["round timeout", default: 0] += 1
            finish()
        }
        let now = nowNs()
        for w in watchers { w.send(.getData(PathWatchRequest(path: path, watch: true)), tag: 0, now: now) }
    }

    private func armedOne(_ header: ReplyHeader) {
        if header.err != 0 { errors["watch: " + LatencyStats.errorName(header.err), default: 0] += 1 }
        armed += 1
        guard armed == watchers.count else { return }
        fireNs = nowNs()
        writer?.send(.setData(SetDataRequest(path: path, data: Array("v\(round)".utf8))), tag: 0, now: fireNs)
    }

    private func notified(_ event: WatcherEvent, _ now: UInt64) {
        guard event.path == path, event.eventType == .nodeDataChanged, promise != nil else { return }
        deliveryStats.record(ns: now - fireNs, err: 0, kind: 0)
        delivered += 1
        guard delivered == watchers.count else { return }
        roundStats.record(ns: now - fireNs, err: 0, kind: 0)
        eventNs += now - fireNs
        roundTimer?.cancel()
        loop.assumeIsolated().execute { [self] in arm() }
    }

    private func finish() {
        roundTimer?.cancel()
        guard let p = promise else { return }
        promise = nil
        p.succeed()
    }

    func report(connectSeconds: Double, startedAt: String) -> FanoutReport {
        FanoutReport(hosts: options.hosts.map { "\($0.host):\($0.port)" }.joined(separator: ","),
                     watchers: options.watchers, connected: watchers.count, rounds: options.rounds,
                     rounds_completed: roundStats.total, connect_s: (connectSeconds * 1000).rounded() / 1000,
                     fanout_us: roundStats.summary, delivery_us: deliveryStats.summary,
                     events_per_sec: eventNs > 0 ? (Double(deliveryStats.total) / (Double(eventNs) / 1e9)).rounded() : 0,
                     errors: errors, started_at: startedAt)
    }

    func closeSessions() -> EventLoopFuture<Void> {
        SessionCloser.closeAll(watchers + (writer.map { [$0] } ?? []), on: loop)
    }

    static func run(_ options: BenchOptions, group: MultiThreadedEventLoopGroup) async throws {
        let loop = group.next()
        let worker = try await loop.submit { NIOLoopBound(FanoutWorker(loop: loop, options: options), eventLoop: loop) }.get()
        let startedAt = Report.timestamp()
        let t0 = nowNs()
        let connected = try await loop.flatSubmit { worker.value.connect() }.get()
        let connectSeconds = Double(nowNs() - t0) / 1e9
        if !options.quiet { Report.progress("[fanout] \(connected) watchers connected in \(String(format: "%.2f", connectSeconds))s") }
        let deadline = nowNs() + UInt64(min(options.duration ?? options.maxSeconds, options.maxSeconds) * 1e9)
        let done = try await loop.submit { worker.value.run(deadline: deadline) }.get()
        var tick = 0
        while true {
            let finished = try await loop.submit { worker.value.promise == nil }.get()
            if finished { break }
            try await Task.sleep(nanoseconds: 1_000_000_000)
            tick += 1
            if !options.quiet {
                let r = try await loop.submit { (worker.value.round, worker.value.roundStats.total) }.get()
                Report.progress("[\(tick)s] fanout round \(r.0), \(r.1) completed")
            }
        }
        try await done.get()
        let report = try await loop.submit { worker.value.report(connectSeconds: connectSeconds, startedAt: startedAt) }.get()
        _ = try? await loop.flatSubmit { worker.value.closeSessions() }.get()
        Report.emit(report)
    }
}
