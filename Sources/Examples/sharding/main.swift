import ExampleSupport
import Foundation
import ZooKeeperClient
import ZooKeeperRecipes

// sharding: a consistent-hash ring over the live members of a group.
let usage = """
    usage: sharding --server host:port[,...] --name NAME [--group /sharding/members]
                    [--replication-factor 2] [--keys k1,k2,...] [--observe] [--session-timeout-ms 10000]
    Joins the group as NAME (an ephemeral node; --observe only watches), then prints the ring
    now and after every membership change:
        members: a,b,c
        KEY -> primary,replica...        (one line per key, --replication-factor owners)
        ring: N members, M keys
    Ctrl-C / SIGTERM: leaves the group, closes the session, exits 0.
    """
let args = ExampleArguments(
    valued: ["--server", "--name", "--group", "--replication-factor", "--keys", "--session-timeout-ms"], usage: usage)
let stop = StopSignal()
let server = args.required("--server")
let observe = args.has("--observe")
let name = observe ? (args["--name"] ?? "observer") : args.required("--name")
let groupPath = args["--group"] ?? "/sharding/members"
let replicationFactor = max(1, args.int("--replication-factor", default: 2))
let keys = (args["--keys"] ?? (0..<10).map { "key-\($0)" }.joined(separator: ","))
    .split(separator: ",").map(String.init)
let sessionTimeout = Duration.milliseconds(args.int("--session-timeout-ms", default: 10_000))

func printRing(_ members: [String]) {
    let ring = HashRing(members: members)
    var lines = ["members: \(members.joined(separator: ","))"]
    for key in keys {
        lines.append("\(key) -> \(ring.owners(of: key, replicationFactor: replicationFactor).joined(separator: ","))")
    }
    lines.append("ring: \(members.count) members, \(keys.count) keys")
    Output.line(lines.joined(separator: "\n"))
}

actor Member {
    private var client: ZooKeeperClient?
    private var group: GroupMembership?
    private var stopping = false

    func run() async {
        while !stopping {
            guard let client = try? await connectWithRetry(server, sessionTimeout: sessionTimeout) else { break }
            let group = GroupMembership(client: client, groupPath: groupPath)
            self.client = client
            self.group = group
            if !observe, !(await join(group)) {
                await client.close()
                break
            }
            for await members in group.members() {
                if stopping { break }
                printRing(members)
            }
            try? await group.leave()
            await client.close()
            self.client = nil
            self.group = nil
        }
    }

    /// Joins as `name`; a node left by our previous (killed) process is waited out until
    /// its session expires.
    private func join(_ group: GroupMembership) async -> Bool {
        let deadline = ContinuousClock.now + sessionTimeout * 2 + .seconds(5)
        while !stopping {
            do {
                try await group.join(as: name)
                return true
            } catch let error as ZooKeeperError where error.code == .nodeExists && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(200))
            } catch {
                Output.error("\(name): cannot join \(groupPath): \(error)")
                return false
            }
        }
        return false
    }

    func leave() async {
        stopping = true
        try? await group?.leave()
        await client?.close()
    }
}

let member = Member()
let runner = Task { await member.run() }
_ = Task {
    await stop.wait()
    await member.leave()
    runner.cancel()
}
await runner.value
exit(0)
