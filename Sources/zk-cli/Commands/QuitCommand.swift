import ZooKeeperClient

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
