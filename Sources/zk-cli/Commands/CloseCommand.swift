import ZooKeeperClient

/// `close`.
struct CloseCommand: CliCommand {
    let name = "close"
    let usage = "close "
    let minArguments = 0

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        await shell.close()
    }
}
