import ZooKeeperClient

/// `setquota -n|-b|-N|-B val path`: creates or updates `/zookeeper/quota<path>/zookeeper_limits`.
struct SetQuotaCommand: CliCommand {
    let name = "setquota"
    let usage = "setquota -n|-b|-N|-B val path"
    let flags = ["n": true, "b": true, "N": true, "B": true]
    let minArguments = 0

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        guard ["n", "b", "N", "B"].contains(where: args.has) else {
            throw CliError.message("org.apache.commons.cli.MissingOptionException: Missing required option: "
                + "[-n num soft quota, -b bytes soft quota, -N num hard quota, -B bytes hard quota]")
        }
        guard let path = args[1] else { throw CliError.usage("") }
        if path.hasPrefix(Quotas.quotaZookeeper) {
            Console.shared.err("cannot set a quota under the path: \(Quotas.quotaZookeeper)")
            return
        }
        var quota = StatsTrack(count: -1, bytes: -1)
        quota.values["countHardLimit"] = -1
        quota.values["byteHardLimit"] = -1
        for (flag, key, isCount) in [("n", "count", true), ("b", "bytes", false), ("N", "countHardLimit", true), ("B", "byteHardLimit", false)] {
            guard let text = args.options[flag] else { continue }
            guard let v = Int64(text) else {
                Console.shared.err("NumberFormatException happens when parsing the option value")
                return
            }
            if isCount && v <= 0 { Console.shared.err("the num quota must be greater than zero"); return }
            if !isCount && v < 0 { Console.shared.err("the bytes quota must be greater than or equal to zero"); return }
            quota.values[key] = v
        }
        if path.count > 1 && path.hasSuffix("/") || path == "/" {
            throw CliError.message("Path must not end with / character")
        }
        let zk = try await shell.requireClient()
        guard try await zk.exists(path) != nil else { throw CliError.message("\(path) does not exist.") }
        try await checkChildQuota(zk, path)
        try await checkParentQuota(zk, path)
        var p = ""
        for component in Quotas.quotaPath(path).split(separator: "/") {
            p += "/" + component
            if try await zk.exists(p) == nil {
                do { try await zk.create(p) } catch let e as ZooKeeperError where e.code == .nodeExists {}
            }
        }
        let limits = Quotas.limitPath(path), stats = Quotas.statPath(path)
        if try await zk.exists(limits) == nil {
            try await zk.create(limits, data: Array(quota.description.utf8))
            try await zk.create(stats, data: Array(StatsTrack(count: 0, bytes: 0).description.utf8))
            let q = StatsTrack(Format.data(try await zk.getData(limits).data))
            warn(q, StatsTrack(Format.data(try await zk.getData(stats).data)))
        } else {
            var q = StatsTrack(Format.data(try await zk.getData(limits).data))
            for (key, v) in quota.values where v > -1 { q.values[key] = v }
            warn(q, StatsTrack(Format.data(try await zk.getData(stats).data)))
            try await zk.setData(limits, data: Array(q.description.utf8))
        }
    }

    private func warn(_ quota: StatsTrack, _ stat: StatsTrack) {
        let countHard = quota.values["countHardLimit"] ?? -1, byteHard = quota.values["byteHardLimit"] ?? -1
        if (quota.count > -1 && quota.count < stat.count) || (countHard > -1 && countHard < stat.count) {
            Console.shared.out("[Warning]: the count quota you create is less than the existing count:\(stat.count)")
        }
        if (quota.bytes > -1 && quota.bytes < stat.bytes) || (byteHard > -1 && byteHard < stat.bytes) {
            Console.shared.out("[Warning]: the bytes quota you create is less than the existing bytes:\(stat.bytes)")
        }
    }

    /// Any quota below `path` forbids one on it (`checkIfChildQuota`, depth first).
    private func checkChildQuota(_ zk: ZooKeeperClient, _ path: String) async throws {
        let root = Quotas.quotaPath(path)
        var stack = [root]
        while let node = stack.popLast() {
            guard let children = try? await zk.getChildren(node) else { continue }
            if node != root && children.contains("zookeeper_limits") {
                throw CliError.message("\(path) has a child \(node.dropFirst(Quotas.quotaZookeeper.count)) which has a quota")
            }
            stack += children.reversed().map { node + "/" + $0 }
        }
    }

    /// Any quota above `path` forbids one on it (`checkIfParentQuota`).
    private func checkParentQuota(_ zk: ZooKeeperClient, _ path: String) async throws {
        var quotaPath = Quotas.quotaZookeeper
        for component in path.split(separator: "/").dropLast() {
            quotaPath += "/" + component
            guard let children = try? await zk.getChildren(quotaPath), !children.isEmpty else { return }
            if children.contains("zookeeper_limits") {
                throw CliError.message("\(path) has a parent \(quotaPath.dropFirst(Quotas.quotaZookeeper.count)) which has a quota")
            }
        }
    }
}
