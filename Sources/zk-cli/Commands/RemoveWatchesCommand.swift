import ZooKeeperClient
import ZooKeeperWire

/// `removewatches path [-c|-d|-a] [-l]`.
struct RemoveWatchesCommand: CliCommand {
    let name = "removewatches"
    let usage = "removewatches path [-c|-d|-a] [-l]"
    let flags = ["c": false, "d": false, "a": false, "l": false]

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let type: WatcherType = args.has("c") ? .children : args.has("d") ? .data : .any
        let zk = try await shell.requireClient()
        try await zk.removeWatches(args[1]!, type: type, local: args.has("l"))
    }
}
