import NIOCore
import ZooKeeperWire

/// Ends sessions politely (closeSession, then the socket) so a run leaves no sessions waiting
/// for expiry on the server. Bounded: after `timeout` whatever is left is just closed.
enum SessionCloser {
    static func closeAll(_ conns: [BenchConnection], on loop: any EventLoop, window: Int = 256,
                         timeout: TimeAmount = .seconds(20)) -> EventLoopFuture<Void> {
        loop.preconditionInEventLoop()
        let promise = loop.makePromise(of: Void.self)
        let open = conns.filter { $0.isOpen }
        var left = open.count
        var next = 0
        var inFlight = 0
        if left == 0 { promise.succeed(); return promise.futureResult }
        var finished = false
        let deadline = loop.assumeIsolated().scheduleTask(in: timeout) {
            for c in open where c.isOpen { c.close() }
        }
        func done() {
            left -= 1
            inFlight -= 1
            if left == 0 && !finished {
                finished = true
                deadline.cancel()
                promise.succeed()
            } else {
                pump()
            }
        }
        func pump() {
            while next < open.count && inFlight < window {
                let c = open[next]
                next += 1
                inFlight += 1
                var counted = false
                c.onReply = { c, _, _, _, _ in c.close() }
                c.onNotification = nil
                c.onClosed = { _, _ in
                    if !counted { counted = true; done() }
                }
                if c.isOpen { c.send(.closeSession, tag: 0, now: nowNs()) } else { c.close() }
            }
        }
        pump()
        return promise.futureResult
    }
}
