import NIOCore
import ZooKeeperWire

/// Opens `count` sessions on one loop with at most `window` handshakes in flight, timing each.
/// Runs on the loop; calls back once with the sessions that opened, in index order.
final class ConnectPool {
    let loop: any EventLoop
    let options: BenchOptions
    private(set) var opened: [BenchConnection] = []
    private(set) var failures: [String: Int] = [:]
    private(set) var connectStats = LatencyStats()

    init(loop: any EventLoop, options: BenchOptions) {
        self.loop = loop
        self.options = options
    }

    func open(count: Int, window: Int, firstIndex: Int = 0, done: @escaping ([BenchConnection]) -> Void) {
        loop.preconditionInEventLoop()
        var next = 0
        var inFlight = 0
        var completed = 0
        if count == 0 { done([]); return }
        func pump() {
            while next < count && inFlight < window {
                let index = firstIndex + next
                next += 1
                inFlight += 1
                let host = options.hosts[index % options.hosts.count]
                let t0 = nowNs()
                SessionOpener.open(on: loop, host: host.host, port: host.port, index: index, timeoutMs: options.sessionTimeoutMs) { [self] result in
                    inFlight -= 1
                    completed += 1
                    switch result {
                    case .success(let conn):
                        connectStats.record(ns: nowNs() - t0, err: 0, kind: Workload.Kind.write.rawValue)
                        opened.append(conn)
                    case .failure(let e):
                        failures["\(e)", default: 0] += 1
                    }
                    if completed == count {
                        opened.sort { $0.index < $1.index }
                        done(opened)
                    } else {
                        pump()
                    }
                }
            }
        }
        pump()
    }
}
