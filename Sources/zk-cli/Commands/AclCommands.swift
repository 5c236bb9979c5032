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

/// `addauth scheme auth`.
struct AddAuthCommand: CliCommand {
    let name = "addauth"
    let usage = "addauth scheme auth"

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let zk = try await shell.requireClient()
        try await zk.addAuth(scheme: args[1]!, auth: Array((args[2] ?? "").utf8))
    }
}

/// `whoami`: `Auth scheme: User` then `scheme: user` lines.
struct WhoAmICommand: CliCommand {
    let name = "whoami"
    let usage = "whoami "
    let minArguments = 0

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let zk = try await shell.requireClient()
        Console.shared.out("Auth scheme: User")
        for info in try await zk.whoAmI() {
            Console.shared.out("\(info.authScheme): \(info.user)")
        }
    }
}
