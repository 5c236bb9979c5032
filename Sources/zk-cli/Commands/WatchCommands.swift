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

/// `printwatches on|off`.
struct PrintWatchesCommand: CliCommand {
    let name = "printwatches"
    let usage = "printwatches on|off"
    let minArguments = 0

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        switch args[1] {
        case nil: Console.shared.out("printwatches is \(await shell.printWatches ? "on" : "off")")
        case let v?: await shell.setPrintWatches(v == "on")
        }
    }
}
