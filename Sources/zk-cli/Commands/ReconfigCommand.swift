import Foundation
import ZooKeeperClient

/// `reconfig [-s] [-v version] [[-file path] | [-members ...]] | [-add ...]* [-remove ...]`
/// (zkCli's ReconfigCommand): `-v` is the expected config version in hex; `-file` reads a
/// dynamic config file's `server.N=` lines as the new membership.
struct ReconfigCommand: CliCommand {
    let name = "reconfig"
    let usage = "reconfig [-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | [-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]"
    let flags = ["s": false, "v": true, "file": true, "members": true, "add": true, "remove": true]
    let minArguments = 0

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let incremental = args.has("add") || args.has("remove")
        let whole = args.has("file") || args.has("members")
        if incremental && whole {
            throw CliError.message("Can't use -file or -members together with -add or -remove (mixing incremental and non-incremental modes is not allowed)")
        }
        if args.has("file") && args.has("members") {
            throw CliError.message("Can't use -file and -members together (conflicting non-incremental modes)")
        }
        if !incremental && !whole {
            throw CliError.usage("")
        }
        var version: Int64 = -1
        if let v = args.options["v"] {
            guard let parsed = Int64(v, radix: 16) else { throw CliError.message("version \(v) is not valid") }
            version = parsed
        }
        var members = args.options["members"]
        if let path = args.options["file"] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw CliError.message("\(path) (No such file or directory)")
            }
            members = text.split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { $0.hasPrefix("server.") }
                .joined(separator: ",")
        }
        let zk = try await shell.requireClient()
        let (data, stat) = try await zk.reconfig(joining: args.options["add"], leaving: args.options["remove"],
                                                 newMembers: members, fromConfig: version)
        Console.shared.out("Committed new configuration:\n" + Format.data(data))
        if args.has("s") { Console.shared.out(Format.stat(stat)) }
    }
}
