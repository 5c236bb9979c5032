import ZooKeeperClient

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
