import ZooKeeperClient

/// `listquota path`.
struct ListQuotaCommand: CliCommand {
    let name = "listquota"
    let usage = "listquota path"

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let zk = try await shell.requireClient()
        let path = args[1]!
        let limits = Quotas.limitPath(path)
        Console.shared.err("absolute path is \(limits)")
        do {
            let q = StatsTrack(Format.data(try await zk.getData(limits).data))
            Console.shared.out("Output quota for \(path) \(q.description)")
            let s = StatsTrack(Format.data(try await zk.getData(Quotas.statPath(path)).data))
            Console.shared.out("Output stat for \(path) \(s.description)")
        } catch let e as ZooKeeperError where e.code == .noNode {
            Console.shared.err("quota for \(path) does not exist.")
        }
    }
}
