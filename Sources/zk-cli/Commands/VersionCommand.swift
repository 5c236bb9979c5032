import ZooKeeperClient

/// `version`.
struct VersionCommand: CliCommand {
    let name = "version"
    let usage = "version "
    let minArguments = 0

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        Console.shared.out("ZooKeeper CLI version: Tusk zk-cli (ZooKeeper 3.8 compatible)")
    }
}
