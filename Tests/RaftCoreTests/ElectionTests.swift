import Testing
@testable import RaftCore

@Suite("Leader election")
struct ElectionTests {
    @Test("a single node elects itself after the election timeout")
    func singleNodeElection() {
        var c = TestCluster([1])
        c.tickAll(25)
        #expect(c[1].role == .leader)
        #expect(c[1].term == 2)  // bootstrap is term 1
    }

    @Test("a 3-node cluster elects exactly one leader, which appends an empty entry of its term")
    func threeNodeElection() {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        #expect(c.leaders == [1])
        let r = c.raft(1)
        #expect(r.log.lastIndex() == 2)
        #expect((try? r.log.term(2)) == r.term)
        #expect(r.log.committed == 2)
        for id: NodeID in [2, 3] {
            #expect(c[id].leader == 1)
            #expect(c[id].committed == 2)
        }
    }

    @Test("election timeouts are randomized in [electionTick, 2*electionTick)")
    func randomizedTimeout() {
        var seen = Set<Int>()
        for seed: UInt64 in 1...50 {
            let s = MemoryStorage()
            var cfg = RaftConfig(id: 1, peers: [1, 2, 3])
            cfg.electionTick = 10
            let r = try! Raft(config: cfg, storage: s, random: SplitMix64(seed: seed))
            #expect(r.randomizedElectionTimeout >= 10 && r.randomizedElectionTimeout < 20)
            seen.insert(r.randomizedElectionTimeout)
        }
        #expect(seen.count > 3)
    }

    @Test("a node votes at most once per term")
    func voteOncePerTerm() {
        var c = TestCluster([1, 2, 3]) { $0.preVote = false; $0.checkQuorum = false }
        let t = c[3].term + 1
        try? c[3].step(Message(type: .vote, to: 3, from: 1, term: t, logTerm: 1, index: 1))
        try? c[3].step(Message(type: .vote, to: 3, from: 2, term: t, logTerm: 1, index: 1))
        let msgs = c.handleReady(3)
        #expect(msgs.count == 2)
        #expect(msgs[0].to == 1 && !msgs[0].reject)
        #expect(msgs[1].to == 2 && msgs[1].reject)
        #expect(c[3].status.vote == 1)
    }

    @Test("votes are refused to a candidate whose log is less up-to-date (§5.4.1)")
    func rejectStaleLog() {
        var c = TestCluster([1, 2, 3]) { $0.preVote = false; $0.checkQuorum = false }
        c.elect(1)
        try! c.propose(1, "x")
        // Node 3 claims a log ending at index 1 (term 1): behind everybody.
        let t = c[2].term + 1
        try? c[2].step(Message(type: .vote, to: 2, from: 3, term: t, logTerm: 1, index: 1))
        let msgs = c.handleReady(2)
        #expect(msgs.first { $0.type == .voteResponse }?.reject == true)
    }

    @Test("the voteWithoutLogCheck debug fault grants that same vote")
    func debugFaultGrantsStaleVote() {
        var c = TestCluster([1, 2, 3]) {
            $0.preVote = false; $0.checkQuorum = false; $0.unsafeTestingFlags = [.voteWithoutLogCheck]
        }
        c.elect(1)
        try! c.propose(1, "x")
        let t = c[2].term + 1
        try? c[2].step(Message(type: .vote, to: 2, from: 3, term: t, logTerm: 1, index: 1))
        let msgs = c.handleReady(2)
        #expect(msgs.first { $0.type == .voteResponse }?.reject == false)
    }

    @Test("pre-vote: a partitioned node does not inflate its term and does not disrupt on rejoin")
    func preVoteKeepsTerm() {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        let term = c[1].term
        c.isolate(3)
        c.tickAll(100)
        #expect(c[3].term == term)  // pre-votes never reached a quorum
        #expect(c[3].role == .preCandidate)
        c.heal()
        c.tickAll(5)
        #expect(c[1].role == .leader)
        #expect(c[1].term == term)
        #expect(c[3].leader == 1)
    }

    @Test("without pre-vote, the same partition forces a new term on rejoin")
    func withoutPreVoteTermGrows() {
        var c = TestCluster([1, 2, 3]) { $0.preVote = false; $0.checkQuorum = false }
        c.elect(1)
        let term = c[1].term
        c.isolate(3)
        c.tickAll(100)
        #expect(c[3].term > term + 2)
    }

    @Test("check-quorum: a leader cut off from the majority steps down")
    func checkQuorumStepsDown() {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        c.isolate(1)
        c.tickAll(25)
        #expect(c[1].role != .leader)
        // The other two elected a new leader in a higher term.
        #expect(c.leaders.count == 1)
        #expect(c.leaders.first != 1)
    }

    @Test("check-quorum lease: followers ignore vote requests while they hear from a leader")
    func leaseIgnoresVotes() {
        var c = TestCluster([1, 2, 3]) { $0.preVote = false }
        c.elect(1)
        let term = c[1].term
        // Node 3 times out alone (its messages from the leader are cut) and campaigns.
        c.cutLink(1, 3)
        c.tick(3, 25)
        c.stabilize()
        #expect(c[1].role == .leader)
        #expect(c[1].term == term)
        #expect(c[2].term == term)
    }

    @Test("a candidate steps down when it learns of a higher term")
    func candidateStepsDownOnHigherTerm() {
        var c = TestCluster([1, 2, 3]) { $0.preVote = false; $0.checkQuorum = false }
        c.isolate(2)
        c[2].campaign()  // cannot win: candidate of term 2
        c.stabilize()
        #expect(c[2].role == .candidate)
        c.heal()
        c.elect(1)
        #expect(c[1].role == .leader)
        #expect(c[2].role == .follower)
        #expect(c[2].leader == 1)
    }

    @Test("a restarted node recovers term, vote, log and configuration from storage")
    func restartRecoversState() {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        try! c.propose(1, "a")
        let st = c[2].status
        c.restart(2)
        let after = c[2].status
        #expect(after.term == st.term)
        #expect(after.vote == st.vote)
        #expect(after.commit == st.commit)
        #expect(after.lastIndex == st.lastIndex)
        #expect(after.configuration == Configuration(voters: [1, 2, 3]))
        c.stabilize()
        #expect(c.appliedData(2) == ["a"])  // re-applied from the log after restart
    }
}
