import RaftCore

public struct SimulationOptions: Sendable {
    public var nodes = 3
    /// Ticks of the fault phase.
    public var steps = 1000
    /// Ticks allowed, after faults stop, for a leader to emerge and everything to be applied.
    public var livenessTicks = 800
    public var trace = false
    public var unsafeTestingFlags: DebugFaults = []
    public var electionTick = 10
    public var heartbeatTick = 2

    public init(nodes: Int = 3, steps: Int = 1000) {
        self.nodes = nodes
        self.steps = steps
    }
}

public struct SimulationResult: Sendable {
    public var seed: UInt64
    public var violation: String?
    public var trace: [String]
    public var ticks: Int
    public var proposalsAcked: Int
    public var readsAnswered: Int
    public var crashes: Int
    public var leaderChanges: Int
    public var configurationChanges: Int
    public var snapshotsInstalled: Int
    public var messagesSent: Int
    /// Times a leader advanced its commit index onto an entry of an earlier term.
    public var priorTermCommits: Int
}

/// Fault probabilities for one run, all derived from the seed.
struct FaultPlan {
    var crash: Double
    var restart: Double
    var partition: Double
    var heal: Double
    var oneWay: Double
    var slowDisk: Double
    var transfer: Double
    var membership: Double
    var propose: Double
    var read: Double
    var networkChange: Double
    var maxMessageBytes: UInt64
    var maxInflight: Int
    var preVote: Bool
    var checkQuorum: Bool
    /// Chance to cut a new leader off right after its election (a Jepsen-style nemesis:
    /// it leaves entries of short-lived terms on a minority).
    var isolateNewLeader: Double
    /// Chance that a node's clock skips a tick (timer drift between nodes).
    var tickSkip: Double
    var maxUncommittedBytes: UInt64

    init(_ rng: inout SimRandom) {
        maxUncommittedBytes = rng.chance(0.3) ? UInt64(rng.int(1...8) * 256) : 0
        tickSkip = rng.chance(0.5) ? Double(rng.int(0...30)) / 100 : 0
        isolateNewLeader = Double(rng.int(0...90)) / 100
        preVote = rng.chance(0.7)
        checkQuorum = rng.chance(0.7)
        // Often one entry per append (limit 1 byte): more, smaller messages, more interleavings.
        maxMessageBytes = rng.chance(0.4) ? 1 : UInt64(rng.int(1...16) * 64)
        maxInflight = rng.int(1...8)
        crash = Double(rng.int(0...25)) / 1000
        restart = Double(rng.int(20...150)) / 1000
        partition = Double(rng.int(0...8)) / 1000
        heal = Double(rng.int(10...50)) / 1000
        oneWay = Double(rng.int(0...5)) / 1000
        slowDisk = Double(rng.int(0...10)) / 1000
        transfer = Double(rng.int(0...6)) / 1000
        membership = Double(rng.int(0...8)) / 1000
        propose = Double(rng.int(50...500)) / 1000
        read = Double(rng.int(0...60)) / 1000
        networkChange = Double(rng.int(0...5)) / 1000
        // Without both pre-vote and check-quorum, a removed node that missed its removal
        // disrupts the cluster forever (a known Raft limitation): no membership changes then.
        if !preVote && !checkQuorum { membership = 0 }
    }
}

/// A deterministic cluster simulation: one seed drives the network, disks, crashes,
/// membership changes and client load. Safety is checked after every tick; after
/// the fault phase, liveness is checked.
public final class Simulation {
    public let seed: UInt64
    let options: SimulationOptions
    var rng: SimRandom
    var net = SimNetwork()
    var nodes: [NodeID: SimNode] = [:]
    /// Node ids in creation order (iteration order must never depend on hashing).
    var ids: [NodeID] = []
    var checker = Checker()
    var now = 0
    var plan: FaultPlan
    var nextProposal: UInt64 = 1
    var nextRead: UInt64 = 1
    var traceLines: [String] = []
    var lastLeader: NodeID = noneNode
    var inFaultPhase = true
    /// A leader to cut off at a given tick (see `FaultPlan.isolateNewLeader`).
    var pendingIsolation: (node: NodeID, at: Int)?
    var stats = (crashes: 0, leaderChanges: 0, confChanges: 0, snapshots: 0, priorTermCommits: 0)
    var committedSeenBy: [NodeID: UInt64] = [:]

    public init(seed: UInt64, options: SimulationOptions) {
        self.seed = seed
        self.options = options
        rng = SimRandom(seed: seed)
        plan = FaultPlan(&rng)
        net.faults = Self.randomFaults(&rng)
        let founders = (1...UInt64(options.nodes)).map { $0 }
        for id in founders { addNode(id, initialPeers: founders) }
    }

    static func randomFaults(_ rng: inout SimRandom) -> NetworkFaults {
        NetworkFaults(dropRate: Double(rng.int(0...150)) / 1000, duplicateRate: Double(rng.int(0...50)) / 1000,
                      minDelay: 1, maxDelay: rng.int(1...6))
    }

    var raftConfig: RaftConfig {
        var c = RaftConfig(id: 1)
        c.electionTick = options.electionTick
        c.heartbeatTick = options.heartbeatTick
        c.maxSizePerMessage = plan.maxMessageBytes
        c.maxInflightMessages = plan.maxInflight
        c.preVote = plan.preVote
        c.maxUncommittedEntriesBytes = plan.maxUncommittedBytes
        c.checkQuorum = plan.checkQuorum
        c.maxSnapshotChunkBytes = 96
        c.unsafeTestingFlags = options.unsafeTestingFlags
        return c
    }

    func addNode(_ id: NodeID, initialPeers: [NodeID]) {
        let n = SimNode(id: id, initialPeers: initialPeers)
        nodes[id] = n
        ids.append(id)
        n.start(config: raftConfig, random: rng.fork())
        log("start \(id)")
    }

    func log(_ s: @autoclosure () -> String) {
        if options.trace {
            traceLines.append("[\(now)] \(s())")
            if traceLines.count > 4000 { traceLines.removeFirst(1000) }
        }
    }

    var upNodes: [SimNode] { ids.compactMap { nodes[$0]!.isUp ? nodes[$0]! : nil } }

    /// The up leader with the highest term, if any.
    var leader: SimNode? {
        var best: SimNode?
        for n in upNodes where n.raw!.role == .leader {
            if best == nil || n.raw!.term > best!.raw!.term { best = n }
        }
        return best
    }

    // MARK: - Running

    public func run() -> SimulationResult {
        for _ in 0..<options.steps {
            if checker.violation != nil { break }
            injectFaults()
            tick()
        }
        if checker.violation == nil { livenessPhase() }
        return SimulationResult(
            seed: seed, violation: checker.violation, trace: traceLines, ticks: now,
            proposalsAcked: checker.acked.count, readsAnswered: checker.readsAnswered,
            crashes: stats.crashes, leaderChanges: stats.leaderChanges,
            configurationChanges: stats.confChanges, snapshotsInstalled: stats.snapshots,
            messagesSent: net.sent, priorTermCommits: stats.priorTermCommits)
    }

    /// One tick: deliver due messages, tick every node, run their Ready loops, check.
    func tick() {
        now += 1
        if let (id, at) = pendingIsolation, at <= now {
            pendingIsolation = nil
            if inFaultPhase {
                if rng.chance(0.5), let n = nodes[id], n.isUp {
                    crash(n)
                } else {
                    net.partition([id], ids.filter { $0 != id })
                    log("isolate leader \(id)")
                }
            }
        }
        for m in net.deliverable(now: now, rng: &rng) {
            guard let n = nodes[m.to], n.isUp else { continue }
            log("deliver \(m)")
            try? n.raw!.step(m)
        }
        for n in upNodes {
            // Clock drift: a node's timer may miss a tick (only while faults run).
            if inFaultPhase && plan.tickSkip > 0 && rng.chance(plan.tickSkip) { continue }
            n.raw!.tick()
        }
        for n in upNodes { pump(n) }
        for n in upNodes {
            let r = n.raw!
            checker.observeRole(node: n.id, role: r.role, term: r.term, raw: r)
            if r.role == .leader, r.committed > 0, let t = r.logTerm(at: r.committed), t < r.term,
               r.committed > committedSeenBy[n.id, default: 0]
            {
                // Only possible with the commitPriorTermByCount fault (for the report).
                stats.priorTermCommits += 1
            }
            committedSeenBy[n.id] = r.committed
            if r.role == .leader && n.id != lastLeader {
                lastLeader = n.id
                stats.leaderChanges += 1
                log("leader \(n.id) term \(r.term) conf \(r.configuration)")
                if inFaultPhase && rng.chance(plan.isolateNewLeader) {
                    pendingIsolation = (n.id, now + rng.int(0...12))
                }
            }
        }
    }

    /// Runs the Ready loop of one node: persist, (wait for a slow sync), send, apply, advance.
    func pump(_ n: SimNode) {
        for _ in 0..<8 {
            if let (rd, doneAt) = n.inProgress {
                if doneAt > now { return }
                complete(n, rd)
                n.inProgress = nil
            }
            guard n.raw!.hasReady() else { return }
            let rd = n.raw!.ready()
            if let first = rd.entries.first {
                let prev = first.index > 1 ? n.raw!.logTerm(at: first.index - 1) : 0
                checker.observeWrite(node: n.id, entries: rd.entries, prevTerm: prev)
            }
            n.disk.write(snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState)
            n.inProgress = (rd, now + (rd.mustSync ? n.disk.syncLatency : 0))
        }
    }

    func complete(_ n: SimNode, _ rd: Ready) {
        n.disk.sync()
        for m in rd.messages { net.send(m, now: now, rng: &rng) }
        if let s = rd.snapshot {
            guard let restored = SimStateMachine.fromSnapshot(s.data) else {
                checker.fail("node \(n.id) received an undecodable snapshot at \(s.metadata.index)")
                return
            }
            n.sm = restored
            checker.observeSnapshotRestore(node: n.id, sm: restored)
            stats.snapshots += 1
            log("node \(n.id) installed snapshot \(s.metadata.index)/\(s.metadata.term)")
        }
        for e in rd.committedEntries {
            checker.observeApply(node: n.id, sm: &n.sm, entry: e)
            if e.type == .configuration { log("node \(n.id) applied configuration \(n.sm.configuration) at \(e.index)") }
        }
        for rs in rd.readStates { checker.observeReadState(node: n.id, rs) }
        n.raw!.advance(rd)
        // Application snapshots: every ~30 applied entries, keep 10 entries of log.
        let snapIndex = n.disk.live.currentSnapshot.metadata.index
        if n.sm.index >= snapIndex + 30 {
            n.disk.createSnapshot(index: n.sm.index, configuration: n.sm.configuration,
                                  data: n.sm.snapshotData(), compactTo: n.sm.index - 10)
        }
    }
}
