import Testing
import ZNodeStore
import ZooKeeperWire

/// One recorded request: which client sent it, the request, ZooKeeper's answer rendered
/// as text, and the watch events client 3 received because of it.
struct TraceStep {
    var client: Int64
    var request: ZooKeeperRequest
    var expected: String
    var events: [String]
    init(_ client: Int64, _ request: ZooKeeperRequest, _ expected: String, _ events: [String]) {
        self.client = client; self.request = request; self.expected = expected; self.events = events
    }
}

/// Traces recorded on Apache ZooKeeper 3.8.0: three sessions (1 unauthenticated, 2 with
/// `addauth digest alice:secret`, 3 a watcher with a recursive watch on /t/a and a
/// persistent one on /t/b), all from 127.0.0.1, working under /t.
enum ZooKeeperTrace {
    static let alice = DigestAuth.digest("alice:secret")
}

@Suite("Replays of traces recorded on ZooKeeper 3.8.0")
struct ZooKeeperTraceTests {
    /// Renders answers exactly as the recording script does: zxids relative to the
    /// creation of /t, ephemeral owners as s1/s2/s3, children sorted, times omitted.
    struct Renderer {
        var z0: Int64
        func z(_ v: Int64) -> String { v >= z0 ? String(v - z0) : "-" }
        func stat(_ s: Stat) -> String {
            let owner = [1: "s1", 2: "s2", 3: "s3"][s.ephemeralOwner] ?? String(s.ephemeralOwner)
            return "\(z(s.czxid)),\(z(s.mzxid)),\(z(s.pzxid)),\(s.version),\(s.cversion),\(s.aversion),\(owner),\(s.dataLength),\(s.numChildren)"
        }
        func hex(_ d: [UInt8]) -> String { d.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }
        func render(_ request: ZooKeeperRequest, _ r: ApplyResult) -> String {
            if r.error != .ok { return "E\(r.error.rawValue)" }
            switch (request, r.response) {
            case (.create, .create(let p)?): return "C " + p
            case (_, .create2(let p, let s)?): return "C2 \(p) \(stat(s))"
            case (_, .stat(let s)?): return "S " + stat(s)
            case (.delete, _): return "OK"
            case (_, .getData(let d, let s)?): return "D \(hex(d ?? [])) \(stat(s))"
            case (_, .children2(let c, let s)?): return "K \(c.sorted().joined(separator: ",")) \(stat(s))"
            case (_, .acl(let acl, let s)?):
                return "A " + acl.map { "\($0.perms.rawValue):\($0.id.scheme):\($0.id.id)" }.joined(separator: ";") + " " + stat(s)
            case (_, .allChildrenNumber(let n)?): return "N \(n)"
            case (.checkWatches, _), (.removeWatches, _): return "OK"
            case (_, .ephemerals(let p)?): return "P " + p.sorted().joined(separator: ",")
            case (.multiRead, .multi(let results)?):
                let subs = results.map { m -> String in
                    switch m {
                    case .error(let e): "e\(e)"
                    case .getData(let d, let s): "g\(hex(d ?? [])):\(stat(s))"
                    case .getChildren(let c): "h" + c.sorted().joined(separator: ",")
                    default: "?\(m)"
                    }
                }
                return "R[" + subs.joined(separator: ";") + "]"
            case (_, .multi(let results)?):
                let subs = results.map { m -> String in
                    switch m {
                    case .error(let e): "e\(e)"
                    case .create(let p): "c" + p
                    case .create2(let p, let s): "c2\(p):\(stat(s))"
                    case .delete: "d"
                    case .setData(let s): "s" + stat(s)
                    case .check: "k"
                    default: "?\(m)"
                    }
                }
                return "M[" + subs.joined(separator: ";") + "]"
            default: return "?\(String(describing: r.response))"
            }
        }
    }

    func replay(_ steps: [TraceStep], closeEvents: [String]) {
        let h = Harness(ZNodeStoreConfig(extendedTypesEnabled: true))
        for s: Int64 in 1...3 { h.createSession(s) }
        let ip = Id(scheme: "ip", id: "127.0.0.1")
        let auth: [Int64: AuthContext] = [
            1: AuthContext(ids: [ip]), 2: AuthContext(ids: [ip, Id(scheme: "digest", id: ZooKeeperTrace.alice)]),
            3: AuthContext(ids: [ip]),
        ]
        #expect(h.create("/t", session: 1, auth: auth[1]!).error == .ok)
        let renderer = Renderer(z0: h.zxid)
        _ = h.store.addWatch(path: "/t/a", mode: .persistentRecursive, sessionId: 3)
        _ = h.store.addWatch(path: "/t/b", mode: .persistent, sessionId: 3)
        var mismatches = 0
        for (i, step) in steps.enumerated() {
            let result = step.request.isWrite
                ? h.apply(step.request, session: step.client, auth: auth[step.client]!)
                : h.read(step.request, session: step.client, auth: auth[step.client]!)
            let got = renderer.render(step.request, result)
            let events = h.store.drainNotifications().filter { $0.sessionId == 3 }.map { "\($0.event.type) \($0.event.path)" }
            #expect(got == step.expected, "step \(i): \(step.request)")
            #expect(events == step.events, "step \(i): events of \(step.request)")
            if got != step.expected || events != step.events { mismatches += 1 }
            if mismatches > 5 { return }
        }
        h.closeSession(1)
        let closeEvents2 = h.store.drainNotifications().filter { $0.sessionId == 3 }.map { "\($0.event.type) \($0.event.path)" }
        #expect(closeEvents2.sorted() == closeEvents)
        #expect(h.store.invariantViolations() == [])
    }

    @Test func seed1() { replay(ZooKeeperTrace.seed1, closeEvents: ZooKeeperTrace.seed1CloseEvents) }
    @Test func seed2() { replay(ZooKeeperTrace.seed2, closeEvents: ZooKeeperTrace.seed2CloseEvents) }
    @Test func seed3() { replay(ZooKeeperTrace.seed3, closeEvents: ZooKeeperTrace.seed3CloseEvents) }
}
