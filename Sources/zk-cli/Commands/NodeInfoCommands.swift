import ZooKeeperClient

/// `sync path`: `Sync is OK`.
struct SyncCommand: CliCommand {
    let name = "sync"
    let usage = "sync path"

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let zk = try await shell.requireClient()
        do {
            try await zk.sync(args[1]!)
            Console.shared.out("Sync is OK")
        } catch let error as ZooKeeperError where error.kind != .connectionLoss {
            Console.shared.out("Sync has failed. rc=\(error.code.rawValue)")
        }
    }
}

/// `getEphemerals path`: the session's ephemerals under `path` (all when omitted).
struct GetEphemeralsCommand: CliCommand {
    let name = "getEphemerals"
    let usage = "getEphemerals path"
    let minArguments = 0

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let zk = try await shell.requireClient()
        Console.shared.out(Format.list(try await zk.getEphemerals(args[1] ?? "/")))
    }
}

/// `getAllChildrenNumber path`.
struct GetAllChildrenNumberCommand: CliCommand {
    let name = "getAllChildrenNumber"
    let usage = "getAllChildrenNumber path"

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let zk = try await shell.requireClient()
        Console.shared.out("\(try await zk.getAllChildrenNumber(args[1]!))")
    }
}
