import ZooKeeperClient

/// `stat [-w] path`.
struct StatCommand: CliCommand {
    let name = "stat"
    let usage = "stat [-w] path"
    let flags = ["w": false]

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let zk = try await shell.requireClient()
        let path = args[1]!
        let (stat, watch) = try await zk.exists(path, watch: args.has("w"))
        if args.has("w") { shell.follow(watch) }
        guard let stat else { throw ZooKeeperError(code: .noNode, path: path) }
        Console.shared.out(Format.stat(stat))
    }
}
