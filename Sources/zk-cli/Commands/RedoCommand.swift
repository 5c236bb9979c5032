import ZooKeeperClient

/// `redo cmdno`.
struct RedoCommand: CliCommand {
    let name = "redo"
    let usage = "redo cmdno"

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        guard let n = Int(args[1]!) else { throw CliError.usage("") }
        try await shell.redo(n)
    }
}
