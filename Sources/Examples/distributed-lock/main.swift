import ExampleSupport
import Foundation
import ZooKeeperClient
import ZooKeeperRecipes

// distributed-lock: take a Curator-compatible InterProcessMutex, do "work" while holding it, release.
let usage = """
    usage: distributed-lock --server host:port[,...] --name NAME [--path /locks/demo] [--hold SECONDS]
                            [--work-interval-ms 500] [--iterations 1] [--timeout SECONDS]
                            [--counter-file FILE] [--session-timeout-ms 10000]
    Each iteration: waits for the lock, holds it for --hold seconds (default 3) printing the
    fencing token every --work-interval-ms, then releases it. With --counter-file, the "work"
    is a read-modify-write of the number in FILE spread over the hold: two holders at once
    would lose an update. Lines: "NAME waiting for PATH", "NAME acquired PATH fencing token T",
    "NAME working with fencing token T, lock nodes: a,b", "NAME releasing PATH" (the work is
    over), "NAME released PATH" (the node is deleted).
    Exit 0 when done, 1 on --timeout, 0 after releasing on Ctrl-C / SIGTERM.
    """
let args = ExampleArguments(
    valued: ["--server", "--name", "--path", "--hold", "--work-interval-ms", "--iterations", "--timeout",
             "--counter-file", "--session-timeout-ms"],
    usage: usage)
let stop = StopSignal()
let server = args.required("--server")
let name = args.required("--name")
let lockPath = args["--path"] ?? "/locks/demo"
let hold = Duration.fromSeconds(args.double("--hold", default: 3))
let interval = Duration.milliseconds(max(10, args.int("--work-interval-ms", default: 500)))
let iterations = max(1, args.int("--iterations", default: 1))
let timeout = args["--timeout"].map { _ in Duration.fromSeconds(args.double("--timeout", default: 0)) }
let counterFile = args["--counter-file"]
let sessionTimeout = Duration.milliseconds(args.int("--session-timeout-ms", default: 10_000))

func readCounter(_ file: String) -> Int {
    (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
}

func writeCounter(_ file: String, _ value: Int) throws {
    try "\(value)\n".write(toFile: file, atomically: true, encoding: .utf8)
}

/// Holds the lock for `hold`, printing the token and the lock's nodes at every step.
func work(_ client: ZooKeeperClient, token: Int64) async throws {
    let start = ContinuousClock.now
    let before = counterFile.map(readCounter)
    repeat {
        let nodes = (try? await client.getChildren(lockPath).sorted())?.joined(separator: ",") ?? "?"
        Output.line("\(name) working with fencing token \(token), lock nodes: \(nodes)")
        if stop.isStopping { break }
        try await Task.sleep(for: interval)
    } while ContinuousClock.now - start < hold && !stop.isStopping
    if let counterFile, let before {
        try writeCounter(counterFile, before + 1)
        Output.line("\(name) counter \(before) -> \(before + 1)")
    }
}

func run() async -> Int32 {
    let client: ZooKeeperClient
    do {
        client = try await connectWithRetry(server, sessionTimeout: sessionTimeout, deadline: .now + .seconds(30))
    } catch {
        Output.error("\(name): cannot connect to \(server): \(error)")
        return 1
    }
    let lock = DistributedLock(client: client, path: lockPath)
    // Stopped while waiting: closing the session removes our queued node and ends the wait.
    // Stopped while holding: the work loop ends early and releases normally.
    let stopper = Task {
        await stop.wait()
        if await !lock.isHeld { await client.close() }
    }
    defer { stopper.cancel() }
    for _ in 0..<iterations where !stop.isStopping {
        Output.line("\(name) waiting for \(lockPath)")
        do {
            let token = try await lock.acquire(timeout: timeout)
            Output.line("\(name) acquired \(lockPath) fencing token \(token)")
            do {
                try await work(client, token: token)
            } catch {
                Output.error("\(name): work failed: \(error)")
            }
            Output.line("\(name) releasing \(lockPath)")
            try await lock.release()
            Output.line("\(name) released \(lockPath)")
        } catch LockError.timedOut {
            Output.line("\(name) timed out waiting for \(lockPath)")
            await client.close()
            return 1
        } catch {
            await client.close()
            if stop.isStopping { return 0 }
            Output.error("\(name): \(error)")
            return 1
        }
    }
    await client.close()
    return 0
}

exit(await run())
