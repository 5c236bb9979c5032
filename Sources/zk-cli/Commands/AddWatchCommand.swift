import ZooKeeperClient
import ZooKeeperWire

/// `addWatch [-m mode] path`: a persistent (default: recursive) watch whose events are printed.
struct AddWatchCommand: CliCommand {
    let name = "addWatch"
    let usage = "addWatch [-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE"
    let flags = ["m": true]

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let mode: AddWatchMode
        switch args.options["m"] {
        case nil, "PERSISTENT_RECURSIVE": mode = .persistentRecursive
        case "PERSISTENT": mode = .persistent
        default: throw CliError.usage("")
        }
        let zk = try await shell.requireClient()
        shell.follow(try await zk.addWatch(args[1]!, mode: mode))
    }
}
