import RaftCore

/// A fault-free 3-node (or N-node) in-memory cluster for throughput measurements:
/// messages are delivered immediately, storage is MemoryStorage, entries are applied
/// by counting. No clock here; the caller times `run`.
public final class BenchCluster {
    var nodes: [RawNode] = []
    var storages: [MemoryStorage] = []
    var inbox: [[Message]]
    public private(set) var applied: [Int]
    let payload: [UInt8]

    public init(nodes count: Int = 3, payloadBytes: Int = 64) {
        payload = [UInt8](repeating: 0x5a, count: payloadBytes)
        inbox = Array(repeating: [], count: count)
        applied = Array(repeating: 0, count: count)
        let peers = (1...UInt64(count)).map { $0 }
        var rng = SimRandom(seed: 42)
        for id in peers {
            let s = MemoryStorage()
            storages.append(s)
            var c = RaftConfig(id: id, peers: peers)
            c.maxInflightMessages = 64
            c.maxSizePerMessage = 1 << 20
            nodes.append(try! RawNode(config: c, storage: s, random: rng.fork()))
        }
        nodes[0].campaign()
        for _ in 0..<50 { pumpAll() }
    }

    /// Proposes `total` entries in batches of `batch` at the leader and runs until
    /// all nodes applied them. Returns the number of normal entries applied by the leader.
    @discardableResult
    public func run(total: Int, batch: Int) -> Int {
        let start = applied[0]
        var proposed = 0
        var rounds = 0
        while applied[0] - start < total && rounds < total * 10 + 100 {
            rounds += 1
            if proposed < total {
                let n = min(batch, total - proposed)
                for _ in 0..<n { try! nodes[0].propose(payload) }
                proposed += n
            }
            pumpAll()
        }
        return applied[0] - start
    }

    func pumpAll() {
        for i in nodes.indices {
            let msgs = inbox[i]
            inbox[i] = []
            for m in msgs { try? nodes[i].step(m) }
            guard nodes[i].hasReady() else { continue }
            let rd = nodes[i].ready()
            if let s = rd.snapshot { try! storages[i].applySnapshot(s) }
            if !rd.entries.isEmpty { try! storages[i].append(rd.entries) }
            if let hs = rd.hardState { storages[i].setHardState(hs) }
            for m in rd.messages { inbox[Int(m.to - 1)].append(m) }
            for e in rd.committedEntries where e.type == .normal && !e.data.isEmpty { applied[i] += 1 }
            nodes[i].advance(rd)
            // Keep memory flat on long runs.
            let li = nodes[i].status.applied
            let first = (try? storages[i].firstIndex()) ?? 1
            if li > first + 20_000 { try? storages[i].compact(upTo: li - 10_000) }
        }
    }
}
