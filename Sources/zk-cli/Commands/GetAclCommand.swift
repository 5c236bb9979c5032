import ZooKeeperClient
import ZooKeeperWire

/// `getAcl [-s] path`.
struct GetAclCommand: CliCommand {
    let name = "getAcl"
    let usage = "getAcl [-s] path"
    let flags = ["s": false]

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let zk = try await shell.requireClient()
        let (acl, stat) = try await zk.getACL(args[1]!)
        Console.shared.out(Format.acl(acl))
        if args.has("s") { Console.shared.out(Format.stat(stat)) }
    }
}
