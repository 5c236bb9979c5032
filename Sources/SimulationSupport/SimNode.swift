import RaftCore

/// The replicated state machine used by the simulator: a hash chain over applied
/// entries plus the current configuration. Its snapshot is padded so that
/// InstallSnapshot needs several chunks.
public struct SimStateMachine: Sendable, Equatable {
    public var index: UInt64 = 0
    public var hash: UInt64 = 0
    public var configuration = Configuration()

    static func entryHash(_ e: Entry) -> UInt64 { mix(fnv1a(e.data), e.term &+ UInt64(e.type.rawValue)) }

    func snapshotData() -> [UInt8] {
        var out: [UInt8] = []
        for v in [index, hash] {
            for s in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) }
        }
        let conf = configuration.encoded()
        out.append(UInt8(conf.count))
        out.append(contentsOf: conf)
        // Deterministic filler: 0..<400 bytes.
        let pad = Int(hash % 400)
        for i in 0..<pad { out.append(UInt8(truncatingIfNeeded: hash >> UInt64(i % 8))) }
        return out
    }

    static func fromSnapshot(_ data: [UInt8]) -> SimStateMachine? {
        guard data.count >= 17 else { return nil }
        func u64(_ at: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(data[at + i]) << UInt64(8 * i) }
            return v
        }
        let n = Int(data[16])
        guard data.count >= 17 + n, let conf = Configuration.decode(Array(data[17..<(17 + n)])) else { return nil }
        return SimStateMachine(index: u64(0), hash: u64(8), configuration: conf)
    }
}

/// One simulated server: a RawNode, its disk, its state machine and the Ready in progress.
final class SimNode {
    let id: NodeID
    /// Founding members bootstrap with the initial voters; later ones join empty.
    let initialPeers: [NodeID]
    var raw: RawNode?
    let disk = SimDisk()
    var sm = SimStateMachine()
    /// A Ready whose sync has not completed yet (slow disk).
    var inProgress: (ready: Ready, doneAt: Int)?
    var restarts = 0

    init(id: NodeID, initialPeers: [NodeID]) {
        self.id = id
        self.initialPeers = initialPeers
    }

    var isUp: Bool { raw != nil }

    func start(config: RaftConfig, random: SimRandom) {
        var cfg = config
        cfg.id = id
        cfg.peers = initialPeers
        let snap = disk.live.currentSnapshot
        if !snap.isEmpty, let restored = SimStateMachine.fromSnapshot(snap.data) {
            sm = restored
        } else {
            sm = SimStateMachine()
        }
        cfg.applied = sm.index
        raw = try! RawNode(config: cfg, storage: disk.live, random: random)
    }

    func crash() {
        raw = nil
        inProgress = nil
        disk.crash()
        sm = SimStateMachine()
    }
}
