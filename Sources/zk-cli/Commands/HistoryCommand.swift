import ZooKeeperClient

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
