import ExampleSupport
import Foundation
import ZooKeeperClient
import ZooKeeperWire

// config-flags: etcd-style feature flags under /config.
let usage = """
    usage: config-flags --server host:port[,...] [--root /config] COMMAND
      put FLAG VALUE     set a flag (creates it and the root if needed); prints FLAG=VALUE
      get FLAG           prints the value; exit 1 if the flag is not set
      delete FLAG        removes a flag
      list               prints FLAG=VALUE for every flag
      --watch            prints every flag, then "watching ROOT", then each change as it happens:
                         FLAG=VALUE (set or changed) or "FLAG deleted"; runs until Ctrl-C / SIGTERM
    """
let args = ExampleArguments(valued: ["--server", "--root", "--session-timeout-ms"], usage: usage)
let stop = StopSignal()
let server = args.required("--server")
let root = args["--root"] ?? "/config"
let sessionTimeout = Duration.milliseconds(args.int("--session-timeout-ms", default: 10_000))

func flagPath(_ flag: String) -> String {
    guard !flag.isEmpty, !flag.contains("/") else { ExampleArguments.fail("bad flag name \(flag)", usage) }
    return root + "/" + flag
}

func text(_ data: [UInt8]) -> String { String(decoding: data, as: UTF8.self) }

func ensureRoot(_ client: ZooKeeperClient) async throws {
    var path = ""
    for component in root.split(separator: "/") {
        path += "/" + component
        do { try await client.create(path) } catch let e as ZooKeeperError where e.code == .nodeExists {}
    }
}

func put(_ client: ZooKeeperClient, _ flag: String, _ value: String) async throws {
    let path = flagPath(flag)
    while true {
        do {
            _ = try await client.setData(path, data: Array(value.utf8))
            return
        } catch let e as ZooKeeperError where e.code == .noNode {
            try await ensureRoot(client)
            do {
                try await client.create(path, data: Array(value.utf8))
                return
            } catch let e as ZooKeeperError where e.code == .nodeExists {}
        }
    }
}

/// Every flag and its value (flags deleted between the listing and the read are skipped).
func snapshot(_ client: ZooKeeperClient) async throws -> [String: String] {
    let children: [String]
    do { children = try await client.getChildren(root) } catch let e as ZooKeeperError where e.code == .noNode { return [:] }
    var out: [String: String] = [:]
    for child in children {
        do { out[child] = text(try await client.getData(root + "/" + child).data) } catch let e as ZooKeeperError where e.code == .noNode {}
    }
    return out
}

/// Watches `root` with a persistent recursive watch (registered before the first read, so
/// nothing is missed); after a session expiry reconnects and prints only what changed.
func watch() async -> Int32 {
    var known: [String: String] = [:]
    var announced = false
    while !stop.isStopping {
        guard let client = try? await connectWithRetry(server, sessionTimeout: sessionTimeout) else { return 1 }
        let stopper = Task {
            await stop.wait()
            await client.close()
        }
        do {
            try await ensureRoot(client)
            let events = try await client.addWatch(root, mode: .persistentRecursive)
            let now = try await snapshot(client)
            for (flag, value) in now.sorted(by: { $0.key < $1.key }) where known[flag] != value {
                Output.line("\(flag)=\(value)")
            }
            for flag in known.keys.sorted() where now[flag] == nil { Output.line("\(flag) deleted") }
            known = now
            if !announced {
                Output.line("watching \(root)")
                announced = true
            }
            for await event in events {
                guard event.path.hasPrefix(root + "/") else { continue }
                let flag = String(event.path.dropFirst(root.count + 1))
                guard !flag.contains("/") else { continue }
                switch event.type {
                case .nodeCreated, .nodeDataChanged:
                    do {
                        let value = text(try await client.getData(event.path).data)
                        if known[flag] != value {
                            known[flag] = value
                            Output.line("\(flag)=\(value)")
                        }
                    } catch let e as ZooKeeperError where e.code == .noNode {
                        // Deleted already: the NodeDeleted event follows.
                    }
                case .nodeDeleted:
                    if known.removeValue(forKey: flag) != nil { Output.line("\(flag) deleted") }
                default:
                    break
                }
            }
        } catch {
            if !stop.isStopping { Output.error("watch: \(error)") }
        }
        stopper.cancel()
        await client.close()
    }
    return 0
}

func run() async -> Int32 {
    if args.has("--watch") { return await watch() }
    let command = args.positional
    guard let verb = command.first else { ExampleArguments.fail("no command", usage) }
    let client: ZooKeeperClient
    do {
        client = try await connectWithRetry(server, sessionTimeout: sessionTimeout, deadline: .now + .seconds(30))
    } catch {
        Output.error("cannot connect to \(server): \(error)")
        return 1
    }
    var status: Int32 = 0
    do {
        switch (verb, command.count) {
        case ("put", 3):
            try await put(client, command[1], command[2])
            Output.line("\(command[1])=\(command[2])")
        case ("get", 2):
            do {
                Output.line(text(try await client.getData(flagPath(command[1])).data))
            } catch let e as ZooKeeperError where e.code == .noNode {
                Output.error("\(command[1]) is not set")
                status = 1
            }
        case ("delete", 2):
            do { try await client.delete(flagPath(command[1])) } catch let e as ZooKeeperError where e.code == .noNode {}
        case ("list", 1):
            for (flag, value) in try await snapshot(client).sorted(by: { $0.key < $1.key }) { Output.line("\(flag)=\(value)") }
        default:
            ExampleArguments.fail("bad command: \(command.joined(separator: " "))", usage)
        }
    } catch {
        Output.error("\(verb) failed: \(error)")
        status = 1
    }
    await client.close()
    return status
}

exit(await run())
