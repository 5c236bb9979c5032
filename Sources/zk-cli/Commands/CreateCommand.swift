import ZooKeeperClient
import ZooKeeperWire

/// `create [-s] [-e] [-c] [-t ttl] path [data] [acl]`: prints `Created <path>` (on stderr, as zkCli 3.8).
struct CreateCommand: CliCommand {
    let name = "create"
    let usage = "create [-s] [-e] [-c] [-t ttl] path [data] [acl]"
    let flags = ["s": false, "e": false, "c": false, "t": true]

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let sequential = args.has("s"), ephemeral = args.has("e"), container = args.has("c")
        if container && (sequential || ephemeral) {
            throw CliError.message("-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.")
        }
        var ttl: Int64 = 0
        if let t = args.options["t"] {
            if ephemeral { throw CliError.message("TTLs cannot be used with Ephemeral znodes") }
            if container { throw CliError.message("TTLs cannot be used with Container znodes") }
            guard let v = Int64(t) else { throw CliError.usage("") }
            ttl = v
        }
        let mode: CreateMode
        switch (sequential, ephemeral, container, ttl > 0 || args.has("t")) {
        case (_, _, true, _): mode = .container
        case (true, _, _, true): mode = .persistentSequentialWithTTL
        case (false, _, _, true): mode = .persistentWithTTL
        case (true, true, _, _): mode = .ephemeralSequential
        case (false, true, _, _): mode = .ephemeral
        case (true, false, _, _): mode = .persistentSequential
        default: mode = .persistent
        }
        var acl = ACL.openUnsafe
        if let aclText = args[3] {
            acl = Format.parseACL(aclText)
            if acl.isEmpty {
                Console.shared.err("KeeperErrorCode = InvalidACL")
                throw CliError.message("Acl is not valid : null")
            }
        }
        let zk = try await shell.requireClient()
        // Without a data argument zkCli creates the node with null data (`get` prints "null").
        let data = args[2].map { Array($0.utf8) }
        let created = try await zk.create(args[1]!, data: data, options: CreateOptions(mode: mode, ttl: ttl, acl: acl))
        // zkCli 3.8 prints this line on stderr (CreateCommand: err.println).
        Console.shared.err("Created \(created)")
    }
}
