import ZooKeeperClient

/// `set [-s] [-v version] path data`.
struct SetCommand: CliCommand {
    let name = "set"
    let usage = "set [-s] [-v version] path data"
    let flags = ["s": false, "v": true]
    let minArguments = 2

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let zk = try await shell.requireClient()
        let version = try parseVersion(args.options["v"])
        let stat = try await zk.setData(args[1]!, data: Array(args[2]!.utf8), version: version)
        if args.has("s") { Console.shared.out(Format.stat(stat)) }
    }
}

func parseVersion(_ text: String?) throws -> Int32 {
    guard let text else { return -1 }
    guard let v = Int32(text) else { throw CliError.message("version \(text) is not valid") }
    return v
}
