import ZooKeeperClient
import ZooKeeperWire

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
