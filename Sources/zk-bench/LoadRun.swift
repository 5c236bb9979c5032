import Foundation
import NIOCore
import NIOPosix
import ZooKeeperWire

/// The JSON line of a load run.
struct LoadReport: Encodable {
    var tool = "zk-bench"
    var mode = "load"
    var op: String
    var hosts: String
    var clients: Int
    var connected: Int
    var inflight: Int
    var threads: Int
    var size: Int
    var keys: Int
    var warmup_s: Double
    var elapsed_s: Double
    var ops: Int
    var ok: Int
    var reads: Int
    var writes: Int
    var ops_per_sec: Double
    /// Every request answered, warmup and keyspace setup included (for server CPU per request).
    var requests_total: Int
    var errors: [String: Int]
    var setup_errors: [String: Int]
    var latency_us: LatencySummary
    var started_at: String
}

enum LoadRun {
    /// A worker and its loop (the loop is read off the loop; the worker only on it).
    struct Bound: Sendable {
        let loop: any EventLoop
        let bound: NIOLoopBound<LoadWorker>
    }

    static func run(_ options: BenchOptions, group: MultiThreadedEventLoopGroup) async throws {
        let runId = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let workload = Workload(op: options.op, root: options.root, keys: options.keys, size: options.size,
                                multiOps: options.multiOps, runId: runId)
        let loops = (0..<options.threads).map { _ in group.next() }
        var workers: [Bound] = []
        for loop in loops {
            let value = try await loop.submit { NIOLoopBound(LoadWorker(loop: loop, workload: workload, options: options), eventLoop: loop) }.get()
            workers.append(Bound(loop: loop, bound: value))
        }
        let startedAt = Report.timestamp()
        // Sessions, round-robin over the loops.
        var connected = 0
        for (w, worker) in workers.enumerated() {
            let indices = Array(stride(from: w, to: options.clients, by: workers.count))
            connected += try await worker.loop.flatSubmit { worker.bound.value.connect(indices: indices) }.get()
        }
        guard connected > 0 else { throw BenchOptionsError(message: "no session could be opened to \(options.hosts)") }
        // The keyspace (NODEEXISTS from an earlier run is fine).
        let w0 = workers[0]
        let setupRequests = workload.setupRequests()
        var setupErrors = try await w0.loop.flatSubmit { w0.bound.value.setup(setupRequests, window: 256) }.get()
        setupErrors["NODEEXISTS"] = nil
        // Quotas for --count, spread over the sessions.
        let perWorker = workers.indices.map { w in Array(stride(from: w, to: options.clients, by: workers.count)).count }
        let start = nowNs()
        let measureFrom = start + UInt64(options.warmup * 1e9)
        let end: UInt64 = measureFrom + UInt64((options.duration ?? options.maxSeconds) * 1e9)
        var futures: [EventLoopFuture<Void>] = []
        var assigned = 0
        for (w, worker) in workers.enumerated() {
            var quotas: [Int]? = nil
            if let count = options.count {
                quotas = (0..<perWorker[w]).map { i in
                    let global = assigned + i
                    return count / options.clients + (global < count % options.clients ? 1 : 0)
                }
                assigned += perWorker[w]
            }
            let q = quotas
            futures.append(try await worker.loop.submit { worker.bound.value.start(measureFromNs: measureFrom, endNs: end, quotas: q) }.get())
        }
        // Progress once a second until every worker is done (bounded by the hard limit).
        let hardStop = end + 30_000_000_000
        var lastReplies = 0
        var allReplies = 0
        var tick = 0
        while true {
            try await Task.sleep(nanoseconds: 1_000_000_000)
            tick += 1
            var total = LoadWorker.Snapshot(done: true)
            for worker in workers {
                let s = try await worker.loop.submit { worker.bound.value.snapshot() }.get()
                total.replies += s.replies; total.measured += s.measured; total.errors += s.errors
                total.outstanding += s.outstanding; total.done = total.done && s.done
            }
            if !options.quiet {
                Report.progress("[\(tick)s] \(options.op) replies \(total.replies) (+\(total.replies - lastReplies)/s) measured \(total.measured) errors \(total.errors) outstanding \(total.outstanding)")
            }
            lastReplies = total.replies
            allReplies = total.replies
            if total.done { break }
            if nowNs() > hardStop {
                for worker in workers { try await worker.loop.submit { worker.bound.value.abort() }.get() }
                break
            }
        }
        for f in futures { _ = try? await f.get() }
        var stats = LatencyStats()
        var last: UInt64 = 0
        var sessions = 0
        for worker in workers {
            let r = try await worker.loop.submit { worker.bound.value.finish() }.get()
            stats.merge(r.stats)
            last = max(last, r.lastReplyNs)
            sessions += r.connected
        }
        for worker in workers { _ = try? await worker.loop.flatSubmit { worker.bound.value.closeSessions() }.get() }
        let elapsed = last > measureFrom ? Double(last - measureFrom) / 1e9 : 0
        let report = LoadReport(
            op: options.op.description, hosts: options.hosts.map { "\($0.host):\($0.port)" }.joined(separator: ","),
            clients: options.clients, connected: sessions, inflight: options.inflight, threads: options.threads,
            size: options.size, keys: options.keys, warmup_s: options.warmup, elapsed_s: (elapsed * 1000).rounded() / 1000,
            ops: stats.total, ok: stats.ok, reads: stats.reads, writes: stats.writes,
            ops_per_sec: elapsed > 0 ? (Double(stats.total) / elapsed).rounded() : 0,
            requests_total: allReplies + setupRequests.count,
            errors: stats.errors, setup_errors: setupErrors, latency_us: stats.summary, started_at: startedAt)
        Report.emit(report)
    }
}
