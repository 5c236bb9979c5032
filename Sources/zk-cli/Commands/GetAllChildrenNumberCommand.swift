import ZooKeeperClient

/// `getAllChildrenNumber path`.
struct GetAllChildrenNumberCommand: CliCommand {
    let name = "getAllChildrenNumber"
    let usage = "getAllChildrenNumber path"

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let zk = try await shell.requireClient()
        Console.shared.out("\(try await zk.getAllChildrenNumber(args[1]!))")
    }
}
