import Testing
@testable import RaftCore

@Suite("Log replication and commit")
struct ReplicationTests {
    @Test("proposals are committed and applied in order on every node")
    func proposalsApplyEverywhere() throws {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        for s in ["a", "b", "c"] { try c.propose(1, s) }
        for id: NodeID in [1, 2, 3] { #expect(c.appliedData(id) == ["a", "b", "c"]) }
    }

    @Test("a follower forwards proposals to the leader")
    func followerForwards() throws {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        try c.propose(2, "via-follower")
        #expect(c.appliedData(3) == ["via-follower"])
    }

    @Test("a proposal without a known leader is dropped with an error")
    func proposalWithoutLeaderDropped() {
        var c = TestCluster([1, 2, 3])
        #expect(throws: RaftError.proposalDropped) { try c[1].propose([1]) }
    }

    @Test("nothing commits without a quorum")
    func noCommitWithoutQuorum() throws {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        let committed = c[1].committed
        c.isolate(2)
        c.isolate(3)
        try c.propose(1, "lonely")
        #expect(c[1].committed == committed)
        #expect(c.appliedData(1).isEmpty)
        c.heal()
        c.tickAll(2)
        #expect(c.appliedData(1) == ["lonely"])
    }

    /// Raft paper figure 8: an entry of an earlier term replicated on a majority must
    /// not be committed by counting replicas.
    static func figure8(flags: DebugFaults) -> (committedOld: Bool, cluster: TestCluster) {
        let configure: (inout RaftConfig) -> Void = {
            $0.preVote = false; $0.checkQuorum = false; $0.unsafeTestingFlags = flags
            $0.maxSizePerMessage = 1  // one entry per append
        }
        var c = TestCluster([1, 2, 3, 4, 5], configure: configure)
        c.elect(1)  // term 2; index 2 is its empty entry, committed everywhere
        // (a) Leader 1 appends index 3 (term 2); only node 2 gets it.
        c.isolate(1)
        c.cut.remove(TestCluster.link(1, 2))
        c.cut.remove(TestCluster.link(2, 1))
        try? c.propose(1, "old")
        // (b) Node 5 leads term 3 (votes 3, 4, 5); its own index 3 (term 3) reaches nobody.
        c.heal()
        c.isolate(1)
        c.isolate(2)
        c.dropIf = { $0.from == 5 && $0.type == .append }
        c.elect(5)
        #expect(c[5].role == .leader)
        #expect(c[5].logTerm(at: 3) == 3)
        // (c) Node 1 restarts and leads term 4 (votes 1, 2, 3). Node 3 will get index 3 but never index 4.
        c.restart(1, configure: configure)
        c.heal()
        c.isolate(4)
        c.isolate(5)
        c.dropIf = { $0.type == .append && $0.to == 3 && $0.entries.contains { $0.index >= 4 } }
        c.elect(1)      // term 3: node 3 already voted for 5
        if c[1].role != .leader { c.elect(1) }  // term 4
        #expect(c[1].role == .leader)
        #expect(c[1].term == 4)
        // The append [4] to node 3 was lost; node 3's rejection of it makes the leader back up.
        try? c[1].step(Message(type: .appendResponse, to: 1, from: 3, term: 4, logTerm: 2, index: 3,
                               reject: true, rejectHint: 2))
        c.stabilize()
        #expect(c[3].logTerm(at: 3) == 2)  // the term-2 entry is now on a majority (1, 2, 3)
        #expect(c[3].lastIndex == 3)
        return (c[1].committed >= 3, c)
    }

    @Test("figure 8: an earlier-term entry on a majority is not committed by counting")
    func figure8NoCommitOfPriorTerm() {
        let (committedOld, c) = Self.figure8(flags: [])
        #expect(!committedOld)
        #expect(c[1].committed == 2)
        #expect(c.appliedData(1).isEmpty)
    }

    @Test("figure 8 with the commitPriorTermByCount debug fault commits it (the bug)")
    func figure8DebugFaultCommits() {
        let (committedOld, _) = Self.figure8(flags: [.commitPriorTermByCount])
        #expect(committedOld)
    }

    @Test("fast back-off: a follower with a long divergent log is repaired in one or two round trips")
    func fastBackoff() throws {
        var c = TestCluster([1, 2, 3])
        c.elect(3)
        // Node 3 appends 50 entries of its term that nobody else gets.
        c.isolate(3)
        for i in 0..<50 { try? c.propose(3, "lost\(i)") }
        // Nodes 1 and 2 move on and commit 50 other entries in a later term...
        c.heal()
        c.isolate(3)
        c.elect(1)
        for i in 0..<50 { try c.propose(1, "kept\(i)") }
        // ...and node 2 takes over, so its first probe to node 3 starts at its last index.
        c.elect(2)
        #expect(c[2].role == .leader)
        c.heal()
        c.delivered = []
        c.tickAll(3)
        #expect(c.appliedData(3) == c.appliedData(2))
        #expect(c.appliedData(3).count == 50)
        let rejects = c.delivered.filter { $0.type == .appendResponse && $0.reject && $0.from == 3 }
        #expect(rejects.count >= 1 && rejects.count <= 2)
    }

    @Test("pipelining: a replicating follower gets several appends in flight, bounded by maxInflightMessages")
    func pipelining() throws {
        var c = TestCluster([1, 2]) { $0.maxInflightMessages = 3; $0.maxSizePerMessage = 1 }
        c.elect(1)
        #expect(c.raft(1).progress[2]!.state == .replicate)
        // Hold node 2's responses: the leader may only send 3 appends.
        c.cutLink(2, 1)
        for i in 0..<10 { try c[1].propose(Array("p\(i)".utf8)) }
        var appends = 0
        for _ in 0..<10 {
            let msgs = c.handleReady(1)
            appends += msgs.filter { $0.type == .append && !$0.entries.isEmpty }.count
            c.deliver(msgs)
            _ = c.handleReady(2)
        }
        #expect(appends == 3)
        #expect(c.raft(1).progress[2]!.inflights.isFull)
        c.heal()
        c.tickAll(3)
        #expect(c.appliedData(2).count == 10)
    }

    @Test("batching: one append carries many entries up to maxSizePerMessage")
    func batching() throws {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        c.isolate(2)
        for i in 0..<20 { try c[1].propose(Array("e\(i)".utf8)) }
        c.stabilize()
        c.heal()
        c.delivered = []
        c.tickAll(2)
        let toTwo = c.delivered.filter { $0.type == .append && $0.to == 2 && !$0.entries.isEmpty }
        #expect(toTwo.contains { $0.entries.count >= 20 })
        #expect(c.appliedData(2).count == 20)
    }

    @Test("a stale leader rejoining learns the new term and steps down")
    func staleLeaderStepsDown() {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        c.isolate(1)
        c.elect(2)
        #expect(c[2].role == .leader)
        #expect(c[1].role == .leader)  // does not know yet
        c.heal()
        c.tickAll(2)
        #expect(c.leaders == [2])
        #expect(c[1].leader == 2)
    }
}
