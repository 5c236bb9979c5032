import ZooKeeperClient

/// ZooKeeper's `StatsTrack`: `count=…,bytes=…` and, once hard limits are present, the
/// 3.8 format `count=…,bytes=…=;byteHardLimit=…;countHardLimit=…` (keys after the `=;` sorted).
struct StatsTrack: Equatable {
    var values: [String: Int64] = [:]

    init(count: Int64? = nil, bytes: Int64? = nil) {
        if let count { values["count"] = count }
        if let bytes { values["bytes"] = bytes }
    }

    init(_ text: String) {
        for part in text.split(whereSeparator: { $0 == "," || $0 == ";" }) {
            let kv = part.split(separator: "=", omittingEmptySubsequences: true)
            guard kv.count >= 1, let v = kv.count >= 2 ? Int64(kv[1]) : nil else { continue }
            values[String(kv[0])] = v
        }
    }

    var count: Int64 { values["count"] ?? -1 }
    var bytes: Int64 { values["bytes"] ?? -1 }

    var description: String {
        var s = "count=\(count),bytes=\(bytes)"
        let extra = values.keys.filter { $0 != "count" && $0 != "bytes" }.sorted()
        if !extra.isEmpty {
            s += "="
            for k in extra { s += ";\(k)=\(values[k]!)" }
        }
        return s
    }
}

enum Quotas {
    static let quotaZookeeper = "/zookeeper/quota"
    static func quotaPath(_ path: String) -> String { quotaZookeeper + path }
    static func limitPath(_ path: String) -> String { quotaZookeeper + path + "/zookeeper_limits" }
    static func statPath(_ path: String) -> String { quotaZookeeper + path + "/zookeeper_stats" }
}
