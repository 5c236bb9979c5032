import RaftCore

/// Safety invariants checked while a simulation runs. The first failure is kept.
struct Checker {
    private(set) var violation: String?

    /// Election safety: at most one leader per term.
    private var leaderOfTerm: [UInt64: NodeID] = [:]
    /// Leaders whose log was checked for completeness, as (term, id).
    private var checkedLeaders: Set<IndexTerm> = []
    /// Log matching: every (index, term) ever written identifies one entry and one predecessor term.
    private var written: [IndexTerm: (hash: UInt64, prevTerm: UInt64?)] = [:]
    /// State machine safety: the hash chain and entry term at each applied index.
    private(set) var chain: [UInt64] = [0]
    private(set) var appliedTerm: [UInt64] = [0]
    /// Proposals applied somewhere (= acknowledged to the client), by proposal id.
    private(set) var acked: [UInt64: UInt64] = [:]
    private(set) var maxAckedIndex: UInt64 = 0
    /// Outstanding ReadIndex requests: context id -> lowest acceptable read index.
    private var reads: [UInt64: UInt64] = [:]
    private(set) var readsAnswered = 0
    private(set) var duplicates = 0

    struct IndexTerm: Hashable { var index: UInt64; var term: UInt64 }

    var maxAppliedIndex: UInt64 { UInt64(chain.count - 1) }

    mutating func fail(_ s: String) {
        if violation == nil { violation = s }
    }

    mutating func observeRole(node: NodeID, role: NodeRole, term: UInt64, raw: RawNode) {
        guard role == .leader else { return }
        if let other = leaderOfTerm[term], other != node {
            fail("election safety: nodes \(other) and \(node) are both leader in term \(term)")
            return
        }
        leaderOfTerm[term] = node
        let key = IndexTerm(index: node, term: term)
        if checkedLeaders.contains(key) { return }
        checkedLeaders.insert(key)
        // Leader completeness: a new leader holds every entry applied anywhere.
        let maxApplied = maxAppliedIndex
        if maxApplied == 0 { return }
        if raw.lastIndex < maxApplied {
            fail("leader completeness: leader \(node) of term \(term) has last index \(raw.lastIndex) < applied index \(maxApplied)")
            return
        }
        let lo = max(raw.firstIndex, 1)
        guard lo <= maxApplied, let ents = raw.logEntries(lo, maxApplied + 1) else { return }
        for e in ents where appliedTerm[Int(e.index)] != e.term {
            fail("leader completeness: leader \(node) of term \(term) has entry \(e.index) of term \(e.term), but the applied entry has term \(appliedTerm[Int(e.index)])")
            return
        }
    }

    mutating func observeWrite(node: NodeID, entries: [Entry], prevTerm: UInt64?) {
        var prev = prevTerm
        for e in entries {
            let key = IndexTerm(index: e.index, term: e.term)
            let h = SimStateMachine.entryHash(e)
            if let w = written[key] {
                if w.hash != h {
                    fail("log matching: node \(node) wrote a different entry at index \(e.index) term \(e.term)")
                    return
                }
                if let a = w.prevTerm, let b = prev, a != b {
                    fail("log matching: entry \(e.index)/\(e.term) follows term \(b) on node \(node) but term \(a) elsewhere")
                    return
                }
            } else {
                written[key] = (h, prev)
            }
            prev = e.term
        }
    }

    mutating func observeApply(node: NodeID, sm: inout SimStateMachine, entry e: Entry) {
        if e.index != sm.index + 1 {
            fail("state machine: node \(node) applied index \(e.index) after \(sm.index)")
            return
        }
        let h = mix(sm.hash, SimStateMachine.entryHash(e))
        sm.index = e.index
        sm.hash = h
        if e.type == .configuration, let c = Configuration.decode(e.data) { sm.configuration = c }
        let i = Int(e.index)
        if i < chain.count {
            if chain[i] != h || appliedTerm[i] != e.term {
                fail("state machine safety: node \(node) applied a different entry at index \(e.index) (term \(e.term), expected term \(appliedTerm[i]))")
            }
        } else if i == chain.count {
            chain.append(h)
            appliedTerm.append(e.term)
            if e.type == .normal, e.data.count >= 8 {
                let pid = proposalID(e.data)
                if acked[pid] == nil {
                    acked[pid] = e.index
                    maxAckedIndex = max(maxAckedIndex, e.index)
                } else {
                    // The network may duplicate a forwarded proposal: at-least-once is
                    // Raft's contract; clients deduplicate (ZooKeeper sessions do).
                    duplicates += 1
                }
            }
        } else {
            fail("state machine: node \(node) applied index \(e.index) beyond the global chain \(chain.count - 1)")
        }
    }

    mutating func observeSnapshotRestore(node: NodeID, sm: SimStateMachine) {
        let i = Int(sm.index)
        if i >= chain.count || chain[i] != sm.hash {
            fail("state machine safety: node \(node) restored a snapshot at \(sm.index) that matches no applied state")
        }
    }

    mutating func readIssued(id: UInt64) { reads[id] = maxAppliedIndex }

    mutating func observeReadState(node: NodeID, _ rs: ReadState) {
        guard rs.context.count == 8 else { return }
        let id = proposalID(rs.context)
        guard let minIndex = reads.removeValue(forKey: id) else { return }
        readsAnswered += 1
        if rs.index < minIndex {
            fail("linearizable read: node \(node) got read index \(rs.index) for read \(id), but index \(minIndex) was applied before it was issued")
        }
    }

    func proposalID(_ data: [UInt8]) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(data[i]) << UInt64(8 * i) }
        return v
    }
}
