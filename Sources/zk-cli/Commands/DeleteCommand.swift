import ZooKeeperClient

/// `delete [-v version] path`.
struct DeleteCommand: CliCommand {
    let name = "delete"
    let usage = "delete [-v version] path"
    let flags = ["v": true]

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let zk = try await shell.requireClient()
        try await zk.delete(args[1]!, version: try parseVersion(args.options["v"]))
    }
}
