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
