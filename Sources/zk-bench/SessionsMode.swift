import Foundation
import NIOCore
import NIOPosix
import ZooKeeperWire

/// `--mode sessions`: open S sessions (`--inflight` handshakes at a time), report the connect
/// rate and, with `--pid`, the server's RSS before and while they are open; then close them.
struct SessionsReport: Encodable {
    var tool = "zk-bench"
    var mode = "sessions"
    var hosts: String
    var sessions: Int
    var opened: Int
    var connect_s: Double
    var connects_per_sec: Double
    var connect_us: LatencySummary
    var close_s: Double
    var pid: Int32?
    var rss_before_kib: Int?
    var rss_open_kib: Int?
    var rss_per_session_bytes: Double?
    var errors: [String: Int]
    var started_at: String
}

enum SessionsMode {
    static func run(_ options: BenchOptions, group: MultiThreadedEventLoopGroup) async throws {
        let loop = group.next()
        let pool = try await loop.submit { NIOLoopBound(ConnectPool(loop: loop, options: options), eventLoop: loop) }.get()
        let startedAt = Report.timestamp()
        let before = options.pid.flatMap { Report.rssKiB(pid: $0) }
        let t0 = nowNs()
        let opened = try await loop.flatSubmit {
            let p = loop.makePromise(of: Int.self)
            pool.value.open(count: options.sessions, window: max(1, options.inflight)) { conns in p.succeed(conns.count) }
            return p.futureResult
        }.get()
        let connectSeconds = Double(nowNs() - t0) / 1e9
        if !options.quiet {
            Report.progress("[sessions] \(opened)/\(options.sessions) open in \(String(format: "%.2f", connectSeconds))s; holding \(options.hold)s")
        }
        try await Task.sleep(nanoseconds: UInt64(options.hold * 1e9))
        let during = options.pid.flatMap { Report.rssKiB(pid: $0) }
        let (stats, failures) = try await loop.submit { (pool.value.connectStats, pool.value.failures) }.get()
        let t1 = nowNs()
        _ = try? await loop.flatSubmit { SessionCloser.closeAll(pool.value.opened, on: loop, window: 512, timeout: .seconds(60)) }.get()
        let closeSeconds = Double(nowNs() - t1) / 1e9
        var perSession: Double? = nil
        if let b = before, let d = during, opened > 0 { perSession = (Double(d.rss - b.rss) * 1024 / Double(opened)).rounded() }
        Report.emit(SessionsReport(
            hosts: options.hosts.map { "\($0.host):\($0.port)" }.joined(separator: ","), sessions: options.sessions, opened: opened,
            connect_s: (connectSeconds * 1000).rounded() / 1000,
            connects_per_sec: connectSeconds > 0 ? (Double(opened) / connectSeconds).rounded() : 0,
            connect_us: stats.summary, close_s: (closeSeconds * 1000).rounded() / 1000, pid: options.pid,
            rss_before_kib: before?.rss, rss_open_kib: during?.rss, rss_per_session_bytes: perSession,
            errors: failures, started_at: startedAt))
    }
}
