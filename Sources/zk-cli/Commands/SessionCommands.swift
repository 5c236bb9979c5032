import ZooKeeperClient

/// `connect host:port`.
struct ConnectCommand: CliCommand {
    let name = "connect"
    let usage = "connect host:port"
    let minArguments = 0

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        try await shell.connect(to: args[1])
    }
}

/// `close`.
struct CloseCommand: CliCommand {
    let name = "close"
    let usage = "close "
    let minArguments = 0

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        await shell.close()
    }
}

/// `quit`.
struct QuitCommand: CliCommand {
    let name = "quit"
    let usage = "quit "
    let minArguments = 0

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        await shell.close()
        await shell.requestQuit()
    }
}

/// `history`: the last eleven command lines, `n - line`.
struct HistoryCommand: CliCommand {
    let name = "history"
    let usage = "history "
    let minArguments = 0

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let count = await shell.commandCount
        let history = await shell.history
        for i in max(0, count - 10)...max(0, count) {
            Console.shared.out("\(i) - \(history[i] ?? "null")")
        }
    }
}

/// `redo cmdno`.
struct RedoCommand: CliCommand {
    let name = "redo"
    let usage = "redo cmdno"

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        guard let n = Int(args[1]!) else { throw CliError.usage("") }
        try await shell.redo(n)
    }
}

/// `version`.
struct VersionCommand: CliCommand {
    let name = "version"
    let usage = "version "
    let minArguments = 0

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        Console.shared.out("ZooKeeper CLI version: Tusk zk-cli (ZooKeeper 3.8 compatible)")
    }
}

/// `help`: the usage of every command (zkCli 3.8 treats `help` as unknown; Tusk answers it).
struct HelpCommand: CliCommand {
    let name = "help"
    let usage = "help "
    let minArguments = 0

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        Console.shared.out(usageText())
    }
}
