@testable import RaftCore

/// A scripted in-memory cluster for unit tests (etcd's `network` in raft_test.go):
/// messages are delivered in synchronous rounds; links can be cut; every node
/// persists to its MemoryStorage and applies by recording entries.
struct TestCluster {
    var nodes: [NodeID: RawNode] = [:]
    var storages: [NodeID: MemoryStorage] = [:]
    var ids: [NodeID]
    var cut: Set<UInt64> = []
    var applied: [NodeID: [Entry]] = [:]
    var readStates: [NodeID: [ReadState]] = [:]
    /// Every message delivered, in order (for asserting on traffic).
    var delivered: [Message] = []
    /// Drops messages for which this returns true.
    var dropIf: ((Message) -> Bool)?

    init(_ ids: [NodeID], configure: (inout RaftConfig) -> Void = { _ in }) {
        self.ids = ids
        for id in ids { add(id, peers: ids, configure: configure) }
    }

    mutating func add(_ id: NodeID, peers: [NodeID], configure: (inout RaftConfig) -> Void = { _ in }) {
        let s = MemoryStorage()
        var c = RaftConfig(id: id, peers: peers)
        c.electionTick = 10
        c.heartbeatTick = 1
        configure(&c)
        storages[id] = s
        nodes[id] = try! RawNode(config: c, storage: s, random: SplitMix64(seed: id))
        applied[id] = []
        if !ids.contains(id) { ids.append(id) }
    }

    /// Restarts `id` from its storage (everything in MemoryStorage counts as durable).
    mutating func restart(_ id: NodeID, configure: (inout RaftConfig) -> Void = { _ in }) {
        var c = RaftConfig(id: id)
        c.electionTick = 10
        c.heartbeatTick = 1
        configure(&c)
        nodes[id] = try! RawNode(config: c, storage: storages[id]!, random: SplitMix64(seed: id &+ 100))
        applied[id] = []
    }

    subscript(_ id: NodeID) -> RawNode {
        get { nodes[id]! }
        set { nodes[id] = newValue }
    }

    func raft(_ id: NodeID) -> Raft { nodes[id]!.raft }

    static func link(_ a: NodeID, _ b: NodeID) -> UInt64 { a << 32 | b }

    mutating func isolate(_ id: NodeID) {
        for o in ids where o != id {
            cut.insert(Self.link(id, o))
            cut.insert(Self.link(o, id))
        }
    }

    mutating func cutLink(_ from: NodeID, _ to: NodeID) { cut.insert(Self.link(from, to)) }

    mutating func heal() { cut = [] }

    /// Handles one Ready of `id`: persist, apply, advance. Returns its messages.
    mutating func handleReady(_ id: NodeID) -> [Message] {
        guard nodes[id]!.hasReady() else { return [] }
        let rd = nodes[id]!.ready()
        let s = storages[id]!
        if let snap = rd.snapshot { try! s.applySnapshot(snap) }
        if !rd.entries.isEmpty { try! s.append(rd.entries) }
        if let hs = rd.hardState { s.setHardState(hs) }
        applied[id, default: []].append(contentsOf: rd.committedEntries)
        readStates[id, default: []].append(contentsOf: rd.readStates)
        nodes[id]!.advance(rd)
        return rd.messages
    }

    /// Delivers messages in rounds until the cluster is quiet (bounded).
    mutating func stabilize(maxRounds: Int = 200) {
        for _ in 0..<maxRounds {
            var msgs: [Message] = []
            for id in ids where nodes[id] != nil { msgs += handleReady(id) }
            if msgs.isEmpty { return }
            deliver(msgs)
        }
    }

    mutating func deliver(_ msgs: [Message]) {
        for m in msgs {
            if cut.contains(Self.link(m.from, m.to)) { continue }
            if let f = dropIf, f(m) { continue }
            guard nodes[m.to] != nil else { continue }
            delivered.append(m)
            try? nodes[m.to]!.step(m)
        }
    }

    mutating func tick(_ id: NodeID, _ n: Int = 1) {
        for _ in 0..<n { nodes[id]!.tick() }
    }

    /// Ticks every node `n` times, stabilizing after each tick.
    mutating func tickAll(_ n: Int) {
        for _ in 0..<n {
            for id in ids where nodes[id] != nil { nodes[id]!.tick() }
            stabilize()
        }
    }

    /// Campaigns at `id`. If that loses (e.g. peers still in their check-quorum lease
    /// ignore the pre-vote), campaigns again the way a leadership transfer does.
    mutating func elect(_ id: NodeID) {
        nodes[id]!.campaign()
        stabilize()
        if nodes[id]!.role != .leader {
            nodes[id]!.raft.campaign(preVote: false, transfer: true)
            stabilize()
        }
    }

    mutating func propose(_ id: NodeID, _ s: String) throws(RaftError) {
        try nodes[id]!.propose(Array(s.utf8))
        stabilize()
    }

    /// Normal entries with data applied by `id`, as strings.
    func appliedData(_ id: NodeID) -> [String] {
        applied[id]!.filter { $0.type == .normal && !$0.data.isEmpty }.map { String(decoding: $0.data, as: UTF8.self) }
    }

    var leaders: [NodeID] { ids.filter { nodes[$0]?.role == .leader } }
}
