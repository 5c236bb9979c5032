import Testing
@testable import RaftCore

@Suite("More rules")
struct MoreRulesTests {
    @Test("check-quorum counts only voters: a leader hearing only from a learner steps down")
    func checkQuorumIgnoresLearners() throws {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        try c[1].proposeConfChange(.addLearner(4))
        c.add(4, peers: [])
        c.stabilize()
        c.isolate(2)
        c.isolate(3)
        c.tickAll(25)
        #expect(c[1].role != .leader)
    }

    @Test("a new leader answers ReadIndex only after committing an entry of its term")
    func readIndexWaitsForTermCommit() throws {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        try c.propose(1, "w")
        // Node 2 wins, but acknowledgements of its empty entry are held back.
        c.dropIf = { $0.type == .appendResponse && $0.to == 2 }
        c.elect(2)
        #expect(c[2].role == .leader)
        #expect(!c.raft(2).committedEntryInCurrentTerm)
        c[2].readIndex(context: [1])
        c.stabilize()
        #expect(c.readStates[2, default: []].isEmpty)
        c.dropIf = nil
        c.tickAll(2)
        let rs = c.readStates[2, default: []]
        #expect(rs.count == 1)
        #expect(rs.first?.index == c[2].committed)
        #expect(c[2].logTerm(at: rs.first?.index ?? 0) == c[2].term)
    }

    @Test("a removed node that missed its removal cannot disrupt the cluster (pre-vote + lease)")
    func removedNodeDoesNotDisrupt() throws {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        c.isolate(3)
        try c[1].proposeConfChange(.remove(3))
        c.stabilize()
        #expect(c[1].configuration.voters == [1, 2])
        c.tickAll(30)  // the leader stops trying to tell node 3
        #expect(c.raft(1).progress[3] == nil)
        let term = c[1].term
        c.heal()
        c.tickAll(100)
        #expect(c[1].role == .leader)
        #expect(c[1].term == term)
        #expect(c[3].configuration.voters == [1, 2, 3])  // it never learned
    }

    @Test("a follower ignores an append from a stale term and tells the old leader the new term")
    func staleAppendAnswered() {
        var c = TestCluster([1, 2, 3])
        c.elect(1)
        c.elect(2)
        let term = c[3].term
        let before = c[3].logEntries(1, c[3].lastIndex + 1)
        try? c[3].step(Message(type: .append, to: 3, from: 1, term: term - 1, logTerm: 1, index: 1,
                               entries: [Entry(term: term - 1, index: 2, data: [9])], commit: 1))
        let msgs = c.handleReady(3)
        #expect(msgs.count == 1)
        #expect(msgs.first?.type == .appendResponse && msgs.first?.term == term)
        #expect(c[3].logEntries(1, c[3].lastIndex + 1) == before)  // the stale entry was not taken
    }

    @Test("committed entries are handed out once, in order, even across many small Readies")
    func committedOnce() throws {
        var c = TestCluster([1, 2, 3]) { $0.maxCommittedSizePerReady = 1 }
        c.elect(1)
        for i in 0..<10 { try c[1].propose(Array("x\(i)".utf8)) }
        c.stabilize()
        c.tickAll(3)
        for id: NodeID in [1, 2, 3] {
            let idx = c.applied[id]!.map(\.index)
            #expect(idx == Array(1...UInt64(idx.count)))
            #expect(c.appliedData(id) == (0..<10).map { "x\($0)" })
        }
    }
}

@Suite("Uncommitted size limit")
struct UncommittedLimitTests {
    @Test("a leader cut off from its quorum stops accepting proposals past maxUncommittedEntriesBytes")
    func limitUncommitted() throws {
        var c = TestCluster([1, 2, 3]) { $0.maxUncommittedEntriesBytes = 100 }
        c.elect(1)
        c.isolate(1)
        var accepted = 0
        for _ in 0..<10 {
            do {
                try c[1].propose([UInt8](repeating: 1, count: 30))
                accepted += 1
            } catch {
                #expect(error == .proposalDropped)
            }
        }
        #expect(accepted == 3)  // 30 + 30 + 30 <= 100 < 120
        c.heal()
        c.tickAll(3)
        #expect(c.appliedData(1).count == 3)
        // Applied: room again.
        try c[1].propose([UInt8](repeating: 2, count: 30))
        c.stabilize()
        #expect(c.appliedData(2).count == 4)
    }
}
