import Testing
import RaftCore
import SimulationSupport

@Suite("Deterministic simulator")
struct SimulatorTests {
    @Test("the same seed gives exactly the same run")
    func deterministic() {
        var opts = SimulationOptions(nodes: 5, steps: 400)
        opts.trace = true
        let a = Simulation(seed: 77, options: opts).run()
        let b = Simulation(seed: 77, options: opts).run()
        #expect(a.trace == b.trace)
        #expect(a.trace.count > 100)
        #expect(a.ticks == b.ticks && a.proposalsAcked == b.proposalsAcked && a.messagesSent == b.messagesSent)
        let c = Simulation(seed: 78, options: opts).run()
        #expect(c.trace != a.trace)
    }

    @Test("correct Raft: no violation over seeds for 3 and 5 nodes, and the runs do real work")
    func safeRuns() {
        var acked = 0, crashes = 0, leaderChanges = 0, snapshots = 0, confChanges = 0
        for (nodes, seeds) in [(3, 1...12), (5, 100...105)] {
            for seed in seeds {
                let r = Simulation(seed: UInt64(seed), options: SimulationOptions(nodes: nodes, steps: 600)).run()
                #expect(r.violation == nil, "seed \(seed), \(nodes) nodes: \(r.violation ?? "")")
                acked += r.proposalsAcked
                crashes += r.crashes
                leaderChanges += r.leaderChanges
                snapshots += r.snapshotsInstalled
                confChanges += r.configurationChanges
                #expect(r.priorTermCommits == 0)
            }
        }
        #expect(acked > 1000)
        #expect(crashes > 10)
        #expect(leaderChanges > 20)
        #expect(snapshots > 0)
        #expect(confChanges > 0)
    }

    /// Proof that the checker can fail: a Raft that grants votes without the
    /// up-to-date check loses committed entries, and the simulator notices.
    @Test("a stale candidate learns the higher term from a vote rejection (seed 2026112622330 livelocked before)")
    func staleCandidateLearnsTerm() {
        // Diverging uncommitted membership changes left node 1 campaigning in [1, 2] and
        // node 3 in [1, 3] with pre-vote off; node 1 ignored node 3's lower-term votes and
        // never contacted it, so no leader was ever elected again.
        let r = Simulation(seed: 2026112622330, options: SimulationOptions(nodes: 3, steps: 1000)).run()
        #expect(r.violation == nil, "\(r.violation ?? "")")
    }

    @Test("the simulator finds the bug when votes skip the log up-to-date check")
    func findsVoteBug() {
        var opts = SimulationOptions(nodes: 3, steps: 1000)
        opts.unsafeTestingFlags = [.voteWithoutLogCheck]
        var found: (seed: UInt64, violation: String)?
        for seed: UInt64 in 1...60 {
            let r = Simulation(seed: seed, options: opts).run()
            if let v = r.violation {
                found = (seed, v)
                break
            }
        }
        #expect(found != nil)
        if let f = found {
            // It reproduces from the seed alone.
            let again = Simulation(seed: f.seed, options: opts).run()
            #expect(again.violation == f.violation)
        }
    }

    /// The figure-8 bug needs a rare interleaving (about 1 seed in 1000 with 3 nodes);
    /// `raft-sim --seeds 3000 --first-seed 1 --unsafe commit-prior-term` finds seeds 459,
    /// 1386 and 1932. This test replays a window around seed 459 (runs are deterministic),
    /// and checks that prior-term commits are exercised at all.
    @Test("the simulator finds the figure-8 bug when earlier-term entries are committed by counting")
    func findsPriorTermCommitBug() {
        var opts = SimulationOptions(nodes: 3, steps: 1000)
        opts.unsafeTestingFlags = [.commitPriorTermByCount]
        var prior = 0
        var violations: [String] = []
        for seed: UInt64 in 450...465 {
            let r = Simulation(seed: seed, options: opts).run()
            prior += r.priorTermCommits
            if let v = r.violation { violations.append(v) }
        }
        #expect(prior > 0)
        #expect(!violations.isEmpty)
        #expect(violations.allSatisfy { $0.contains("leader completeness") || $0.contains("state machine safety") })
        // The same seeds with a correct Raft are clean.
        opts.unsafeTestingFlags = []
        for seed: UInt64 in 450...465 {
            #expect(Simulation(seed: seed, options: opts).run().violation == nil, "seed \(seed)")
        }
    }
}
