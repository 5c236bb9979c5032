import Foundation
import Testing
@testable import RaftCore

/// Replays `testdata/*.txt` scripts against a `TestCluster` (etcd's interaction tests).
/// Commands:
///   add-nodes N [prevote=false] [checkquorum=false]   a fresh cluster of voters 1...N
///   add-joiner ID                                      an empty node that joins later
///   campaign ID | tick ID [N] | tick-all N | stabilize
///   propose ID DATA | propose-conf-change ID add-voter|add-learner|remove=ID
///   transfer-leader ID TO | read-index ID CTX
///   isolate ID | heal | status | log ID | applied ID | read-states ID
@Suite("Interaction scripts (testdata)")
struct InteractionTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("testdata").path

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".txt") }.sorted()
    }

    @Test("every script has cases", arguments: files)
    func script(_ name: String) {
        var cluster: TestCluster?
        var steps = 0
        let failures = DataDriven.run(path: Self.dir + "/" + name) { c in
            steps += 1
            return Self.handle(c, &cluster)
        }
        #expect(steps > 0)
        for f in failures { Issue.record(Comment(rawValue: f)) }
    }

    @Test("the testdata directory is found")
    func filesExist() { #expect(Self.files.count >= 3) }

    static func handle(_ c: DataDrivenCase, _ cluster: inout TestCluster?) -> String {
        if c.command == "add-nodes" {
            let n = UInt64(c.args[0])!
            let pre = c.value("prevote") != "false"
            let cq = c.value("checkquorum") != "false"
            cluster = TestCluster(Array(1...n)) { $0.preVote = pre; $0.checkQuorum = cq }
            return status(cluster!)
        }
        guard var t = cluster else { return "error: no cluster" }
        defer { cluster = t }
        var out = ""
        switch c.command {
        case "add-joiner":
            t.add(c.id(), peers: [])
        case "campaign":
            t[c.id()].campaign()
        case "tick":
            t.tick(c.id(), c.args.count > 1 ? Int(c.args[1])! : 1)
        case "tick-all":
            let before = t.delivered.count
            t.tickAll(Int(c.args[0])!)
            return status(t) + "\n(\(t.delivered.count - before) messages)"
        case "stabilize":
            let before = t.delivered.count
            t.stabilize()
            out = t.delivered[before...].map { $0.description }.joined(separator: "\n")
        case "propose":
            do { try t[c.id()].propose(Array(c.args[1].utf8)) } catch { return "error: \(error)" }
        case "propose-conf-change":
            let arg = c.args[1].split(separator: "=")
            let target = UInt64(arg[1])!
            let change: ConfChange = arg[0] == "add-voter" ? .addVoter(target) : arg[0] == "add-learner" ? .addLearner(target) : .remove(target)
            do { try t[c.id()].proposeConfChange(change) } catch { return "error: \(error)" }
        case "transfer-leader":
            t[c.id()].transferLeadership(to: c.id(1))
        case "read-index":
            t[c.id()].readIndex(context: Array(c.args[1].utf8))
        case "isolate":
            t.isolate(c.id())
        case "heal":
            t.heal()
        case "status":
            return status(t)
        case "log":
            let n = t[c.id()]
            let ents = n.logEntries(n.firstIndex, n.lastIndex + 1) ?? []
            return ents.map { e in
                "\(e.index)/\(e.term) " + (e.type == .configuration ? "conf \(Configuration.decode(e.data)!)"
                    : e.data.isEmpty ? "empty" : String(decoding: e.data, as: UTF8.self))
            }.joined(separator: "\n")
        case "applied":
            return t.appliedData(c.id()).joined(separator: " ")
        case "read-states":
            return (t.readStates[c.id()] ?? []).map { "index=\($0.index) ctx=\(String(decoding: $0.context, as: UTF8.self))" }
                .joined(separator: "\n")
        default:
            return "error: unknown command \(c.command)"
        }
        return out
    }

    static func status(_ t: TestCluster) -> String {
        t.ids.map { id in
            let s = t[id].status
            return "\(id): \(s.role) term=\(s.term) lead=\(s.leader) commit=\(s.commit) last=\(s.lastIndex) \(s.configuration)"
        }.joined(separator: "\n")
    }
}
