/// Counters behind `srvr`, `stat`, `mntr` and `cons`.
struct LatencyStats {
    var count: Int64 = 0
    var total: Int64 = 0
    var min: Int64 = Int64.max
    var max: Int64 = 0

    mutating func record(_ ms: Int64) {
        count += 1
        total += ms
        if ms < min { min = ms }
        if ms > max { max = ms }
    }

    var minValue: Int64 { count == 0 ? 0 : min }
    var average: Double { count == 0 ? 0 : Double(total) / Double(count) }
    /// ZooKeeper prints avg with up to 4 decimals, e.g. `0.0` or `0.1234`.
    var averageText: String {
        let scaled = (average * 10000).rounded() / 10000
        return "\(scaled)"
    }
}

struct ServerStats {
    var packetsReceived: Int64 = 0
    var packetsSent: Int64 = 0
    var latency = LatencyStats()
    var startedAtMillis: Int64 = 0

    mutating func reset() {
        packetsReceived = 0
        packetsSent = 0
        latency = LatencyStats()
    }
}
