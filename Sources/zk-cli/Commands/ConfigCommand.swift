import ZooKeeperClient

/// `config [-c] [-w] [-s]`: the ensemble configuration in `/zookeeper/config`.
/// `-c` prints zkCli's client form: `<version> host:port,host:port`.
struct ConfigCommand: CliCommand {
    let name = "config"
    let usage = "config [-c] [-w] [-s]"
    let flags = ["c": false, "w": false, "s": false]
    let minArguments = 0

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let zk = try await shell.requireClient()
        let (node, watch) = try await zk.getData("/zookeeper/config", watch: args.has("w"))
        if args.has("w") { shell.follow(watch) }
        let text = Format.data(node.data)
        Console.shared.out(args.has("c") ? Self.clientConfig(text) : text)
        if args.has("s") { Console.shared.out(Format.stat(node.stat)) }
    }

    /// `ConfigUtils.getClientConfigStr`: the version, a space, then each voting server's client address.
    static func clientConfig(_ config: String) -> String {
        var version = ""
        var addresses: [String] = []
        for line in config.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            if parts[0] == "version" { version = parts[1] }
            if parts[0].hasPrefix("server."), !parts[1].contains(":observer"), let semi = parts[1].firstIndex(of: ";") {
                addresses.append(String(parts[1][parts[1].index(after: semi)...]))
            }
        }
        return version + " " + addresses.joined(separator: ",")
    }
}
