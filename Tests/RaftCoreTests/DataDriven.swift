import Foundation

/// A small datadriven test format (after cockroachdb/datadriven, as used by etcd-io/raft):
///
///     command arg1 key=value
///     ----
///     expected output
///     <blank line>
///
/// Lines starting with `#` between cases are comments. With `REWRITE=1` in the
/// environment, the file is rewritten with the actual output instead of compared.
struct DataDrivenCase {
    var line: Int
    var command: String
    var args: [String]
    var expected: String

    /// Positional argument `i` as a UInt64.
    func id(_ i: Int = 0) -> UInt64 { UInt64(args[i])! }

    func value(_ key: String) -> String? {
        for a in args where a.hasPrefix(key + "=") { return String(a.dropFirst(key.count + 1)) }
        return nil
    }
}

enum DataDriven {
    static func parse(_ text: String) -> (cases: [DataDrivenCase], comments: [Int: [String]]) {
        let lines = text.components(separatedBy: "\n")
        var cases: [DataDrivenCase] = []
        var comments: [Int: [String]] = [:]
        var pending: [String] = []
        var i = 0
        while i < lines.count {
            let l = lines[i]
            if l.hasPrefix("#") || l.trimmingCharacters(in: .whitespaces).isEmpty {
                if l.hasPrefix("#") { pending.append(l) }
                i += 1
                continue
            }
            let parts = l.split(separator: " ").map(String.init)
            var c = DataDrivenCase(line: i + 1, command: parts[0], args: Array(parts.dropFirst()), expected: "")
            i += 1
            precondition(i < lines.count && lines[i] == "----", "datadriven: expected ---- after line \(c.line)")
            i += 1
            var out: [String] = []
            while i < lines.count && !lines[i].isEmpty {
                out.append(lines[i])
                i += 1
            }
            c.expected = out.joined(separator: "\n")
            comments[cases.count] = pending
            pending = []
            cases.append(c)
        }
        return (cases, comments)
    }

    /// Runs every case of `path` through `handler`; returns mismatches as messages.
    static func run(path: String, handler: (DataDrivenCase) -> String) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return ["cannot read \(path)"] }
        let (cases, comments) = parse(text)
        let rewrite = ProcessInfo.processInfo.environment["REWRITE"] == "1"
        var failures: [String] = []
        var rewritten = ""
        for (k, c) in cases.enumerated() {
            let actual = handler(c).trimmingCharacters(in: .newlines)
            let shown = actual.isEmpty ? "ok" : actual
            if rewrite {
                for cm in comments[k] ?? [] { rewritten += cm + "\n" }
                rewritten += ([c.command] + c.args).joined(separator: " ") + "\n----\n" + shown + "\n\n"
            } else if shown != c.expected {
                failures.append("\(path):\(c.line): \(c.command) \(c.args.joined(separator: " "))\n--- expected\n\(c.expected)\n--- actual\n\(shown)")
            }
        }
        if rewrite { try? rewritten.write(toFile: path, atomically: true, encoding: .utf8) }
        return failures
    }
}
