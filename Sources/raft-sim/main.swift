import RaftCore
import SimulationSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// raft-sim: deterministic Raft cluster simulation over a range of seeds.
/// Arguments are parsed by hand to keep the build lean.
func usage() -> Never {
    print("""
    usage: raft-sim --seeds N --first-seed S [--nodes 3|5] [--steps K] [--verbose] [--trace]
                    [--unsafe commit-prior-term|vote-without-log-check]
           raft-sim --bench [--proposals N] [--batch B] [--nodes 3]
    """)
    exit(2)
}

var seeds = 100
var firstSeed: UInt64 = 1
var nodes = 3
var steps = 1000
var verbose = false
var trace = false
var bench = false
var proposals = 200_000
var batch = 64
var unsafe: DebugFaults = []

var args = CommandLine.arguments.dropFirst()
@MainActor func value(_ flag: String) -> String {
    guard let v = args.popFirst() else {
        print("raft-sim: \(flag) needs a value")
        usage()
    }
    return v
}
while let a = args.popFirst() {
    switch a {
    case "--seeds": seeds = Int(value(a)) ?? { usage() }()
    case "--first-seed": firstSeed = UInt64(value(a)) ?? { usage() }()
    case "--nodes": nodes = Int(value(a)) ?? { usage() }()
    case "--steps": steps = Int(value(a)) ?? { usage() }()
    case "--verbose": verbose = true
    case "--trace": trace = true
    case "--bench": bench = true
    case "--proposals": proposals = Int(value(a)) ?? { usage() }()
    case "--batch": batch = Int(value(a)) ?? { usage() }()
    case "--unsafe":
        switch value(a) {
        case "commit-prior-term": unsafe.insert(.commitPriorTermByCount)
        case "vote-without-log-check": unsafe.insert(.voteWithoutLogCheck)
        default: usage()
        }
    case "-h", "--help": usage()
    default:
        print("raft-sim: unknown argument \(a)")
        usage()
    }
}
guard nodes >= 1 && nodes <= 9, seeds >= 0, steps >= 0 else { usage() }

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

if bench {
    let clock = ContinuousClock()
    let cluster = BenchCluster(nodes: nodes)
    cluster.run(total: 10_000, batch: batch)  // warm-up
    let t0 = clock.now
    let done = cluster.run(total: proposals, batch: batch)
    let elapsed = seconds(clock.now - t0)
    print("raft-sim bench: \(nodes) nodes, \(done) proposals committed and applied in \(format3(elapsed)) s, \(Int(Double(done) / elapsed)) proposals/s (batch \(batch), 64-byte payload)")
    exit(0)
}

func format3(_ x: Double) -> String {
    let ms = Int((x * 1000).rounded())
    let frac = ms % 1000
    return "\(ms / 1000).\(frac < 10 ? "00" : frac < 100 ? "0" : "")\(frac)"
}

let clock = ContinuousClock()
let started = clock.now
var violations = 0
var totals = (acked: 0, crashes: 0, leaders: 0, conf: 0, snaps: 0, reads: 0, prior: 0)
print("raft-sim: seeds \(firstSeed)..<\(firstSeed &+ UInt64(seeds)), \(nodes) nodes, \(steps) steps\(unsafe.isEmpty ? "" : ", UNSAFE flags \(unsafe.rawValue)")")
for i in 0..<seeds {
    let seed = firstSeed &+ UInt64(i)
    var opts = SimulationOptions(nodes: nodes, steps: steps)
    opts.unsafeTestingFlags = unsafe
    opts.trace = trace
    let r = Simulation(seed: seed, options: opts).run()
    if trace {
        print("--- trace of seed \(seed) ---")
        for line in r.trace { print(line) }
    }
    totals.acked += r.proposalsAcked
    totals.crashes += r.crashes
    totals.leaders += r.leaderChanges
    totals.conf += r.configurationChanges
    totals.snaps += r.snapshotsInstalled
    totals.reads += r.readsAnswered
    totals.prior += r.priorTermCommits
    if verbose {
        print("seed \(seed): \(r.violation == nil ? "ok" : "VIOLATION") ticks \(r.ticks) acked \(r.proposalsAcked) reads \(r.readsAnswered) crashes \(r.crashes) leader changes \(r.leaderChanges) conf changes \(r.configurationChanges) snapshots installed \(r.snapshotsInstalled) messages \(r.messagesSent)")
    }
    if let v = r.violation {
        violations += 1
        print("raft-sim: VIOLATION with seed \(seed) (\(nodes) nodes, \(steps) steps): \(v)")
        var flags = ""
        if unsafe.contains(.commitPriorTermByCount) { flags += " --unsafe commit-prior-term" }
        if unsafe.contains(.voteWithoutLogCheck) { flags += " --unsafe vote-without-log-check" }
        print("raft-sim: reproduce with: raft-sim --seeds 1 --first-seed \(seed) --nodes \(nodes) --steps \(steps)\(flags)")
        // Same seed, same run: replay it with the trace on.
        opts.trace = true
        let traced = Simulation(seed: seed, options: opts).run()
        print("--- trace of seed \(seed) (last \(min(400, traced.trace.count)) events) ---")
        for line in traced.trace.suffix(400) { print(line) }
        print("--- end of trace: \(traced.violation ?? "replay found no violation (non-determinism!)") ---")
    } else if !verbose && (i + 1) % 250 == 0 {
        print("raft-sim: \(i + 1)/\(seeds) seeds, \(violations) violations, \(format3(seconds(clock.now - started))) s")
    }
}
print("raft-sim: totals: proposals acked \(totals.acked), reads \(totals.reads), crashes \(totals.crashes), leader changes \(totals.leaders), conf changes \(totals.conf), snapshots installed \(totals.snaps), prior-term commits \(totals.prior), \(format3(seconds(clock.now - started))) s")
print("raft-sim: \(seeds) seeds, \(violations) violations")
exit(violations == 0 ? 0 : 1)
