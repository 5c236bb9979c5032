import ZooKeeperWire

/// ZooKeeper's quotas (`DataTree` + `Quotas` + `StatsTrack`): `setquota` creates
/// `/zookeeper/quota/<path>/zookeeper_limits` and `…/zookeeper_stats` with ordinary
/// creates; the tree then keeps the stats node's data (`count=N,bytes=M`) up to date for
/// every create, delete and setData under the deepest quota'd ancestor. With
/// `enforceQuota`, exceeding a *hard* limit is QUOTAEXCEEDED (soft limits only log in
/// ZooKeeper; Tusk does nothing for them).
extension ZNodeStore {
    static let quotaRoot = "/zookeeper/quota"
    static let limitNode = "zookeeper_limits"
    static let statNode = "zookeeper_stats"

    /// `getMaxPrefixWithQuota`: the deepest ancestor-or-self of `path` with a quota, never "/".
    func quotaPrefix(of path: String) -> String? {
        if quotaPaths.isEmpty { return nil }
        var p = path
        while !p.isEmpty && p != "/" {
            if quotaPaths.contains(p) { return p }
            p = PathUtils.split(p)?.parent ?? ""
        }
        return nil
    }

    /// Called after a node was inserted (DataTree.createNode's quota section).
    func quotaAfterCreate(parentPath: String, name: String, path: String, bytes: Int) {
        if parentPath.hasPrefix(ZNodeStore.quotaRoot) {
            let target = String(parentPath.dropFirst(ZNodeStore.quotaRoot.count))
            if name == ZNodeStore.limitNode && !target.isEmpty { setQuotaPath(target, present: true) }
            if name == ZNodeStore.statNode && !target.isEmpty { recountQuota(target) }
        }
        if let prefix = quotaPrefix(of: path) { adjustQuotaStats(prefix, bytes: bytes, count: 1) }
    }

    func quotaAfterDelete(parentPath: String, name: String, path: String, bytes: Int) {
        if parentPath.hasPrefix("/zookeeper") && name == ZNodeStore.limitNode && parentPath.hasPrefix(ZNodeStore.quotaRoot) {
            setQuotaPath(String(parentPath.dropFirst(ZNodeStore.quotaRoot.count)), present: false)
        }
        if let prefix = quotaPrefix(of: path) { adjustQuotaStats(prefix, bytes: -bytes, count: -1) }
    }

    func quotaAfterSetData(path: String, bytesDiff: Int) {
        if let prefix = quotaPrefix(of: path) { adjustQuotaStats(prefix, bytes: bytesDiff, count: 0) }
    }

    private func setQuotaPath(_ path: String, present: Bool) {
        guard quotaPaths.contains(path) != present else { return }
        undoLog?.append(.quotaPath(path, wasPresent: !present))
        if present { quotaPaths.insert(path) } else { quotaPaths.remove(path) }
    }

    /// `updateQuotaStat`: rewrites the stats node's data in place (no version/mzxid change).
    private func adjustQuotaStats(_ prefix: String, bytes: Int, count: Int) {
        guard let node = node(at: ZNodeStore.quotaRoot + prefix + "/" + ZNodeStore.statNode) else { return }
        var stats = QuotaStats(node.data ?? [])
        stats.count = stats.count &+ Int64(count)
        stats.bytes = stats.bytes &+ Int64(bytes)
        replaceRawData(node, stats.encoded)
    }

    /// `updateQuotaForPath`: recounts the subtree (nodes including itself, data bytes).
    private func recountQuota(_ path: String) {
        guard let statNode = node(at: ZNodeStore.quotaRoot + path + "/" + ZNodeStore.statNode) else { return }
        var count: Int64 = 0, bytes: Int64 = 0
        if let top = node(at: path) {
            var stack = [top]
            while let n = stack.popLast() {
                count += 1
                bytes += Int64(n.dataSize)
                stack.append(contentsOf: n.children.values)
            }
        }
        var stats = QuotaStats()
        stats.count = count
        stats.bytes = bytes
        replaceRawData(statNode, stats.encoded)
    }

    private func replaceRawData(_ node: ZNode, _ data: [UInt8]) {
        willMutate(node)
        undoLog?.append(.rawData(node: node, data: node.data))
        approximateDataSize += data.count - node.dataSize
        node.data = data
    }

    /// `ZooKeeperServer.checkQuota` for a create (count +1) or setData (count 0).
    func quotaAllows(path: String, bytesDiff: Int, countDiff: Int) -> Bool {
        guard config.enforceQuota, let prefix = quotaPrefix(of: path),
              let limitNode = node(at: ZNodeStore.quotaRoot + prefix + "/" + ZNodeStore.limitNode) else { return true }
        let limits = QuotaStats(limitNode.data ?? [])
        let checkCount = countDiff != 0 && (limits.count > -1 || limits.value("countHardLimit") > -1)
        let checkBytes = bytesDiff != 0 && (limits.bytes > -1 || limits.value("byteHardLimit") > -1)
        guard checkCount || checkBytes,
              let statNode = node(at: ZNodeStore.quotaRoot + prefix + "/" + ZNodeStore.statNode) else { return true }
        let current = QuotaStats(statNode.data ?? [])
        if checkCount, limits.value("countHardLimit") > -1, current.count + Int64(countDiff) > limits.value("countHardLimit") {
            return false
        }
        if checkBytes, limits.value("byteHardLimit") > -1, current.bytes + Int64(bytesDiff) > limits.value("byteHardLimit") {
            return false
        }
        return true
    }

    /// Rebuilds the quota path set from `/zookeeper/quota/**/zookeeper_limits` (snapshot load).
    func rebuildQuotaPaths() {
        quotaPaths = []
        guard let top = node(at: ZNodeStore.quotaRoot) else { return }
        var stack: [(ZNode, String)] = [(top, "")]
        while let (n, rel) = stack.popLast() {
            for (name, child) in n.children {
                if name.string == ZNodeStore.limitNode && !rel.isEmpty { quotaPaths.insert(rel) }
                stack.append((child, rel + "/" + name.string))
            }
        }
    }
}

/// ZooKeeper's `StatsTrack` text: `count=N,bytes=M` then, if there are other keys,
/// `=;key=value…` sorted by key (the extra '=' keeps old parsers working).
struct QuotaStats {
    var values: [String: Int64] = [:]

    init() {}

    init(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        for pair in text.split(whereSeparator: { $0 == "," || $0 == ";" }) {
            let kv = pair.split(separator: "=", omittingEmptySubsequences: false)
            guard kv.count >= 2 else { continue }
            values[String(kv[0])] = kv[1].isEmpty ? -1 : (Int64(kv[1]) ?? -1)
        }
    }

    func value(_ key: String) -> Int64 { values[key] ?? -1 }
    var count: Int64 { get { value("count") } set { values["count"] = newValue } }
    var bytes: Int64 { get { value("bytes") } set { values["bytes"] = newValue } }

    var encoded: [UInt8] {
        var s = "count=\(count),bytes=\(bytes)"
        let extra = values.keys.filter { $0 != "count" && $0 != "bytes" }.sorted()
        if !extra.isEmpty {
            s += "="
            for k in extra { s += ";\(k)=\(values[k]!)" }
        }
        return Array(s.utf8)
    }
}
