import Testing
@testable import RaftCore

@Suite("Membership, learners, leadership transfer, ReadIndex")
struct MembershipTests {
    /// Adds node 4 (empty, joining) as a learner.
    func clusterWithLearner() throws -> TestCluster {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        try c[1].proposeConfChange(.addLearner(4))
        c.add(4, peers: [])  // a joining node starts with no configuration
        c.stabilize()
        return c
    }

    @Test("a new learner receives the whole log and applies it")
    func learnerCatchesUp() throws {
        var c = try clusterWithLearner()
        try c.propose(1, "a")
        #expect(c.appliedData(4) == ["a"])
        #expect(c[4].configuration == Configuration(voters: [1, 2, 3], learners: [4]))
        #expect(c[1].configuration == Configuration(voters: [1, 2, 3], learners: [4]))
    }

    @Test("a learner never campaigns and does not count towards commit")
    func learnerDoesNotVoteOrCount() throws {
        var c = try clusterWithLearner()
        c.isolate(1)
        c.tick(4, 100)
        c.stabilize()
        #expect(c[4].role == .follower)
        // With 2 and 3 cut off, the leader plus the learner cannot commit.
        c.heal()
        c.isolate(2)
        c.isolate(3)
        let committed = c[1].committed
        try c.propose(1, "needs-voters")
        #expect(c[1].committed == committed)
        #expect(c[4].lastIndex == c[1].lastIndex)  // the learner has it, yet it is uncommitted
    }

    @Test("promoting a learner makes it a voter that can win an election")
    func promoteLearner() throws {
        var c = try clusterWithLearner()
        try c[1].proposeConfChange(.addVoter(4))
        c.stabilize()
        #expect(c[4].configuration.voters == [1, 2, 3, 4])
        c.elect(4)
        #expect(c[4].role == .leader)
    }

    @Test("only one membership change at a time")
    func oneChangeAtATime() throws {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        c.isolate(2)
        c.isolate(3)
        try c[1].proposeConfChange(.addLearner(4))
        c.stabilize()
        #expect(throws: RaftError.configurationChangeInProgress) { try c[1].proposeConfChange(.addLearner(5)) }
        var single = TestCluster([1])
        single.elect(1)
        #expect(throws: RaftError.invalidConfigurationChange) { try single[1].proposeConfChange(.remove(1)) }
    }

    @Test("a new leader may not change membership before committing an entry of its term")
    func changeNeedsCommitInTerm() throws {
        var c = TestCluster([1, 2, 3])
        c.dropIf = { $0.type == .appendResponse }
        c.elect(1)
        #expect(c[1].role == .leader)
        #expect(!c[1].canChangeConfiguration)
        #expect(throws: RaftError.configurationChangeInProgress) { try c[1].proposeConfChange(.remove(3)) }
        c.dropIf = nil
        c.tickAll(2)
        #expect(c[1].canChangeConfiguration)
    }

    @Test("removing a follower: it stops counting, the rest keep committing")
    func removeFollower() throws {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        try c[1].proposeConfChange(.remove(3))
        c.stabilize()
        #expect(c[1].configuration.voters == [1, 2])
        // The leader kept replicating to node 3 until the removal committed, so it knows.
        #expect(c[3].configuration.voters == [1, 2])
        c.tickAll(30)
        #expect(c.raft(1).progress[3] == nil)  // dropped after an election timeout
        #expect(c[3].role == .follower)        // and node 3 never campaigns
        c.isolate(3)
        try c.propose(1, "two-voters")
        #expect(c.appliedData(2) == ["two-voters"])
    }

    @Test("removing the leader: it commits the change, steps down, and the rest elect a leader")
    func removeLeader() throws {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        try c[1].proposeConfChange(.remove(1))
        c.stabilize()
        #expect(c[1].role == .follower)
        c.tickAll(30)
        let leaders = c.leaders
        #expect(leaders.count == 1)
        #expect(leaders.first != 1)
        let l = leaders.first!
        #expect(c[l].configuration.voters == [2, 3])
        try c.propose(l, "after-removal")
        #expect(c.appliedData(2).contains("after-removal"))
        // The removed node never campaigns again.
        #expect(c[1].role == .follower)
    }

    @Test("leadership transfer: TimeoutNow makes the transferee leader at once")
    func transferLeadership() throws {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        try c.propose(1, "x")
        let term = c[1].term
        c[1].transferLeadership(to: 3)
        c.stabilize()
        #expect(c[3].role == .leader)
        #expect(c[3].term == term + 1)
        #expect(c[1].role == .follower)
        #expect(c.delivered.contains { $0.type == .timeoutNow && $0.to == 3 })
    }

    @Test("leadership transfer to a lagging follower waits until it has caught up")
    func transferToLaggingFollower() throws {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        c.isolate(3)
        for i in 0..<5 { try c.propose(1, "x\(i)") }
        c.heal()
        c.delivered = []
        let target = c[1].lastIndex
        c[1].transferLeadership(to: 3)
        // Proposals are refused while the transfer is in progress.
        #expect(throws: RaftError.proposalDropped) { try c[1].propose([1]) }
        c.stabilize()
        #expect(c[3].role == .leader)
        let timeoutNow = c.delivered.firstIndex { $0.type == .timeoutNow }!
        let caughtUp = c.delivered.firstIndex { $0.type == .appendResponse && $0.from == 3 && !$0.reject && $0.index == target }
        #expect(caughtUp != nil)
        #expect(caughtUp.map { $0 < timeoutNow } ?? false)
    }

    @Test("ReadIndex at the leader: answered after a heartbeat quorum, with the commit index")
    func readIndexLeader() throws {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        try c.propose(1, "w")
        c[1].readIndex(context: [42])
        #expect(c.readStates[1, default: []].isEmpty)  // needs a heartbeat round first
        c.stabilize()
        #expect(c.readStates[1] == [ReadState(index: c[1].committed, context: [42])])
    }

    @Test("ReadIndex at a follower is forwarded and answered by the leader")
    func readIndexFollower() throws {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        try c.propose(1, "w")
        c[2].readIndex(context: [7])
        c.stabilize()
        #expect(c.readStates[2] == [ReadState(index: c[1].committed, context: [7])])
    }

    @Test("ReadIndex at a leader cut off from its quorum is never answered")
    func readIndexPartitionedLeader() throws {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        c.isolate(1)
        c[1].readIndex(context: [9])
        c.stabilize()
        c.tick(1, 3)
        c.stabilize()
        #expect(c.readStates[1, default: []].isEmpty)
    }
}
