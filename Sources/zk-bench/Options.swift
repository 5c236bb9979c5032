import Foundation

/// What `zk-bench` runs. Parsed by hand from `--name value` / `--name=value` pairs so the tool
/// needs nothing beyond the wire module, NIO and HdrHistogram.
struct BenchOptions: Sendable {
    enum Mode: String, Sendable { case load, watchFanout = "watch-fanout", sessions }

    var mode: Mode = .load
    var hosts: [(host: String, port: Int)] = [("127.0.0.1", 2181)]
    var clients = 1
    var inflight = 1
    var op: Workload.Op = .get
    var size = 100
    var keys = 1000
    var duration: Double? = nil
    var count: Int? = nil
    var warmup: Double = 0
    var threads = 1
    var root = "/zkbench"
    var multiOps = 4
    var sessionTimeoutMs: Int32 = 30_000
    var watchers = 1000
    var rounds = 20
    var sessions = 1000
    var pid: Int32? = nil
    var hold: Double = 1
    var quiet = false
    /// Hard bound on the whole run beyond duration/count: the tool stops by itself.
    var maxSeconds: Double = 600

    static let usage = """
    usage: zk-bench [--mode load|watch-fanout|sessions] [--hosts h:p[,h:p]] [--threads T]
      load:         --clients N --inflight K --op create|set|get|exists|getChildren|multi|mixed:R
                    --size BYTES --keys N (--duration S | --count N) [--warmup S] [--root /zkbench] [--multi-ops M]
      watch-fanout: --watchers W [--rounds R] [--duration S]
      sessions:     --sessions S [--inflight C (connects in flight)] [--pid P] [--hold S]
      common:       [--session-timeout MS] [--max-seconds S] [--quiet]
    Prints a progress line every second on stderr and one JSON line of results on stdout.
    """

    static func parse(_ args: [String]) throws -> BenchOptions {
        var o = BenchOptions()
        var i = 0
        func fail(_ message: String) -> BenchOptionsError { BenchOptionsError(message: message) }
        while i < args.count {
            var name = args[i]
            var value: String?
            if let eq = name.firstIndex(of: "="), name.hasPrefix("--") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            func next() throws -> String {
                if let v = value { return v }
                i += 1
                guard i < args.count else { throw fail("\(name) needs a value") }
                return args[i]
            }
            func int() throws -> Int {
                let s = try next()
                guard let v = Int(s.replacingOccurrences(of: "_", with: "")), v >= 0 else { throw fail("\(name): not a count: \(s)") }
                return v
            }
            func seconds() throws -> Double {
                let s = try next()
                guard let v = Double(s), v >= 0 else { throw fail("\(name): not a number of seconds: \(s)") }
                return v
            }
            switch name {
            case "--mode":
                let s = try next()
                guard let m = Mode(rawValue: s) else { throw fail("unknown mode \(s)") }
                o.mode = m
            case "--hosts":
                o.hosts = try (try next()).split(separator: ",").map { part in
                    let hp = part.split(separator: ":")
                    guard hp.count == 2, let port = Int(hp[1]) else { throw fail("--hosts wants host:port, not \(part)") }
                    return (String(hp[0]), port)
                }
            case "--clients": o.clients = max(1, try int())
            case "--inflight": o.inflight = max(1, try int())
            case "--op": o.op = try Workload.Op.parse(try next())
            case "--size": o.size = try int()
            case "--keys": o.keys = max(1, try int())
            case "--duration": o.duration = try seconds()
            case "--count": o.count = try int()
            case "--warmup": o.warmup = try seconds()
            case "--threads": o.threads = max(1, try int())
            case "--root":
                o.root = try next()
                guard o.root.hasPrefix("/"), o.root.count > 1, !o.root.hasSuffix("/") else { throw fail("--root must be an absolute path") }
            case "--multi-ops": o.multiOps = max(1, try int())
            case "--session-timeout": o.sessionTimeoutMs = Int32(clamping: try int())
            case "--watchers": o.watchers = max(1, try int())
            case "--rounds": o.rounds = max(1, try int())
            case "--sessions": o.sessions = max(1, try int())
            case "--pid": o.pid = Int32(clamping: try int())
            case "--hold": o.hold = try seconds()
            case "--max-seconds": o.maxSeconds = max(1, try seconds())
            case "--quiet": o.quiet = true
            case "-h", "--help": throw fail(usage)
            default: throw fail("unknown option \(name)\n\(usage)")
            }
            i += 1
        }
        if o.mode == .load && o.duration == nil && o.count == nil { o.duration = 10 }
        return o
    }
}

struct BenchOptionsError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
