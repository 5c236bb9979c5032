import ZooKeeperClient
import ZooKeeperWire

/// `setAcl [-s] [-v version] [-R] path acl`.
struct SetAclCommand: CliCommand {
    let name = "setAcl"
    let usage = "setAcl [-s] [-v version] [-R] path acl"
    let flags = ["s": false, "v": true, "R": false]
    let minArguments = 2

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let acl = Format.parseACL(args[2]!)
        if acl.isEmpty { throw CliError.message("Acl is not valid : null") }
        let zk = try await shell.requireClient()
        let path = args[1]!
        let version = try parseVersion(args.options["v"])
        if args.has("R") {
            var queue = [path]
            while !queue.isEmpty {
                let node = queue.removeFirst()
                try await zk.setACL(node, acl: acl, version: version)
                queue += try await zk.getChildren(node).sorted().map { node == "/" ? "/" + $0 : node + "/" + $0 }
            }
            return
        }
        let stat = try await zk.setACL(path, acl: acl, version: version)
        if args.has("s") { Console.shared.out(Format.stat(stat)) }
    }
}
