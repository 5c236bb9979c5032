import ZooKeeperClient

/// `help`: the usage of every command (zkCli 3.8 treats `help` as unknown; Tusk answers it).
struct HelpCommand: CliCommand {
    let name = "help"
    let usage = "help "
    let minArguments = 0

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        Console.shared.out(usageText())
    }
}
