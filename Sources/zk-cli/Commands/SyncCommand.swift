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
