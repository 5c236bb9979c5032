import ZooKeeperClient

/// `get [-s] [-w] path`: the data as UTF-8 (`null` for null data, as zkCli), then the stat block with `-s`.
struct GetCommand: CliCommand {
    let name = "get"
    let usage = "get [-s] [-w] path"
    let flags = ["s": false, "w": false]

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let zk = try await shell.requireClient()
        let (node, watch) = try await zk.getData(args[1]!, watch: args.has("w"))
        if args.has("w") { shell.follow(watch) }
        Console.shared.out(node.isNull ? "null" : Format.data(node.data))
        if args.has("s") { Console.shared.out(Format.stat(node.stat)) }
    }
}
