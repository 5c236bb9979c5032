import Foundation
import Histogram
import ZooKeeperWire

/// Latencies (microseconds) and outcome counts gathered on one event loop, merged at the end.
struct LatencyStats: Sendable {
    var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three)
    var ok = 0
    var reads = 0
    var writes = 0
    /// ZooKeeper error name (or a client-side failure) → count.
    var errors: [String: Int] = [:]

    mutating func record(ns: UInt64, err: Int32, kind: UInt32) {
        _ = histogram.record(max(1, min(ns / 1000, histogram.highestTrackableValue)))
        if err == 0 { ok += 1 } else { errors[Self.errorName(err), default: 0] += 1 }
        if kind == Workload.Kind.read.rawValue { reads += 1 } else { writes += 1 }
    }

    mutating func recordFailure(_ name: String, count: Int = 1) {
        guard count > 0 else { return }
        errors[name, default: 0] += count
    }

    mutating func merge(_ other: LatencyStats) {
        histogram.add(other.histogram)
        ok += other.ok
        reads += other.reads
        writes += other.writes
        for (k, v) in other.errors { errors[k, default: 0] += v }
    }

    var total: Int { Int(histogram.totalCount) }

    static func errorName(_ err: Int32) -> String { ErrorCode(rawValue: err)?.name ?? "ERR\(err)" }

    var summary: LatencySummary { LatencySummary(histogram) }
}

/// The percentiles every report carries, in microseconds.
struct LatencySummary: Codable, Sendable {
    var count: UInt64
    var mean: Double
    var p50: UInt64
    var p90: UInt64
    var p99: UInt64
    var p999: UInt64
    var max: UInt64

    init(_ h: Histogram<UInt64>) {
        count = h.totalCount
        mean = h.totalCount == 0 ? 0 : (h.mean * 10).rounded() / 10
        p50 = h.totalCount == 0 ? 0 : h.valueAtPercentile(50)
        p90 = h.totalCount == 0 ? 0 : h.valueAtPercentile(90)
        p99 = h.totalCount == 0 ? 0 : h.valueAtPercentile(99)
        p999 = h.totalCount == 0 ? 0 : h.valueAtPercentile(99.9)
        max = h.totalCount == 0 ? 0 : h.max
    }
}

/// Printing: one JSON line on stdout, progress on stderr.
enum Report {
    static func emit<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{\"error\":\"encoding failed\"}".utf8)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    static func progress(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// `VmRSS` and `VmHWM` of a process, in KiB, from /proc/<pid>/status.
    static func rssKiB(pid: Int32) -> (rss: Int, hwm: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        var rss = -1, hwm = -1
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2 else { continue }
            if parts[0] == "VmRSS:" { rss = Int(parts[1]) ?? -1 }
            if parts[0] == "VmHWM:" { hwm = Int(parts[1]) ?? -1 }
        }
        return rss < 0 ? nil : (rss, hwm)
    }

    static func timestamp() -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: Date())
    }
}
