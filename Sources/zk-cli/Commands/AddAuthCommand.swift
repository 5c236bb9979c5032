import ZooKeeperClient
import ZooKeeperWire

/// `addauth scheme auth`.
struct AddAuthCommand: CliCommand {
    let name = "addauth"
    let usage = "addauth scheme auth"

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let zk = try await shell.requireClient()
        try await zk.addAuth(scheme: args[1]!, auth: Array((args[2] ?? "").utf8))
    }
}
