import ZooKeeperClient

/// `delquota [-n|-b|-N|-B] path`: without a flag removes the quota, with one unsets that limit.
struct DelQuotaCommand: CliCommand {
    let name = "delquota"
    let usage = "delquota [-n|-b|-N|-B] path"
    let flags = ["n": false, "b": false, "N": false, "B": false]

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let zk = try await shell.requireClient()
        let path = args[1]!
        let limits = Quotas.limitPath(path)
        guard try await zk.exists(limits) != nil else {
            Console.shared.out("Quota does not exist for \(path)")
            return
        }
        let keys = [("n", "count"), ("b", "bytes"), ("N", "countHardLimit"), ("B", "byteHardLimit")].filter { args.has($0.0) }
        if keys.isEmpty {
            let parent = Quotas.quotaPath(path)
            for child in try await zk.getChildren(parent) { try await zk.delete(parent + "/" + child) }
            var p = parent
            while p != Quotas.quotaZookeeper, try await zk.getChildren(p).isEmpty {
                try await zk.delete(p)
                p = String(p[..<p.lastIndex(of: "/")!])
            }
            return
        }
        var q = StatsTrack(Format.data(try await zk.getData(limits).data))
        for (_, key) in keys { q.values[key] = -1 }
        try await zk.setData(limits, data: Array(q.description.utf8))
    }
}
