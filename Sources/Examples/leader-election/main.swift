import ExampleSupport
import Foundation
import ZooKeeperClient
import ZooKeeperRecipes

// leader-election: one participant of a Curator-compatible LeaderLatch election.
let usage = """
    usage: leader-election --server host:port[,host:port...] --name NAME [--path /election/leader]
                           [--session-timeout-ms 10000]
    Prints "NAME is now the leader" when it gains leadership, followed by "NAME fencing token T"
    (the czxid of its candidate node: grows with every new leader), and "NAME is no longer the
    leader" when it loses it (resigned, connection suspended, session expired). After a session
    expiry it joins again with a new session. Ctrl-C / SIGTERM: steps down (deletes its node,
    closes the session) and exits 0.
    """
let args = ExampleArguments(valued: ["--server", "--name", "--path", "--session-timeout-ms"], usage: usage)
let server = args.required("--server")
let name = args.required("--name")
let electionPath = args["--path"] ?? "/election/leader"
let sessionTimeout = Duration.milliseconds(args.int("--session-timeout-ms", default: 10_000))
let stop = StopSignal()

actor Participant {
    private var latch: LeaderLatch?
    private var client: ZooKeeperClient?
    private var stopping = false
    private var leading = false

    /// Prints a change of leadership (isolated to this actor, so a step-down's line comes
    /// before the node is deleted, i.e. before anyone else can print "is now the leader").
    private func report(_ event: LeadershipEvent) {
        switch event {
        case .elected(let token):
            guard !leading, !stopping else { return }
            leading = true
            // One write: a reader never sees the election without its token.
            Output.line("\(name) is now the leader\n\(name) fencing token \(token)")
        case .revoked:
            guard leading else { return }
            leading = false
            Output.line("\(name) is no longer the leader")
        }
    }

    /// Joins the election; after a session expiry joins again with a new session.
    func run() async {
        while !stopping {
            let client: ZooKeeperClient
            do {
                client = try await connectWithRetry(server, sessionTimeout: sessionTimeout)
            } catch {
                if stopping || Task.isCancelled { break }
                Output.error("\(name): connect failed: \(error)")
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            let latch = LeaderLatch(client: client, path: electionPath, participantId: name)
            self.client = client
            self.latch = latch
            let events = await latch.events()
            do {
                if !stopping { try await latch.start() }
                for await event in events { report(event) }
                if leading { report(.revoked) }
            } catch {
                Output.error("\(name): election failed: \(error)")
                try? await Task.sleep(for: .milliseconds(500))
            }
            await latch.close()
            await client.close()
            self.latch = nil
            self.client = nil
        }
    }

    /// Resigns: the latch deletes our node (the next participant takes over at once),
    /// then the session is closed.
    func stepDown() async {
        report(.revoked)
        stopping = true
        await latch?.close()
        await client?.close()
    }
}

let participant = Participant()
let runner = Task { await participant.run() }
_ = Task {
    await stop.wait()
    await participant.stepDown()
    runner.cancel()
}
await runner.value
exit(0)
