import Foundation
import ZooKeeperClient

/// Shared plumbing of the runnable examples: hand-parsed `--key value` options, line output
/// flushed per line, connecting with retries, and a clean stop on SIGINT/SIGTERM.
public struct ExampleArguments: Sendable {
    public private(set) var options: [String: String] = [:]
    public private(set) var flags: Set<String> = []
    public private(set) var positional: [String] = []
    public let usage: String

    /// `valued` lists the options that take a value; every other `--x` is a flag.
    public init(_ argv: [String] = Array(CommandLine.arguments.dropFirst()), valued: Set<String>, usage: String) {
        self.usage = usage
        var i = 0
        while i < argv.count {
            let a = argv[i]
            if a == "-h" || a == "--help" {
                Output.line(usage)
                exit(0)
            }
            if a.hasPrefix("--"), let eq = a.firstIndex(of: "="), valued.contains(String(a[..<eq])) {
                options[String(a[..<eq])] = String(a[a.index(after: eq)...])
            } else if valued.contains(a) {
                guard i + 1 < argv.count else { Self.fail("\(a) needs a value", usage) }
                options[a] = argv[i + 1]
                i += 1
            } else if a.hasPrefix("--") {
                flags.insert(a)
            } else {
                positional.append(a)
            }
            i += 1
        }
    }

    public subscript(_ name: String) -> String? { options[name] }

    public func required(_ name: String) -> String {
        guard let v = options[name], !v.isEmpty else { Self.fail("missing \(name)", usage) }
        return v
    }

    public func int(_ name: String, default value: Int) -> Int {
        guard let raw = options[name] else { return value }
        guard let v = Int(raw) else { Self.fail("\(name) wants a number, not \(raw)", usage) }
        return v
    }

    public func double(_ name: String, default value: Double) -> Double {
        guard let raw = options[name] else { return value }
        guard let v = Double(raw) else { Self.fail("\(name) wants a number, not \(raw)", usage) }
        return v
    }

    public func has(_ flag: String) -> Bool { flags.contains(flag) }

    public static func fail(_ message: String, _ usage: String) -> Never {
        Output.error("error: \(message)\n\(usage)")
        exit(2)
    }
}

/// Whole lines straight to the file descriptor: nothing is buffered, so a reader sees
/// each line as soon as it is printed (tests timestamp them on arrival).
public enum Output {
    private static let lock = NSLock()

    public static func line(_ text: String) { write(text + "\n", fd: 1) }
    public static func error(_ text: String) { write(text + "\n", fd: 2) }

    private static func write(_ text: String, fd: Int32) {
        lock.lock()
        defer { lock.unlock() }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            bytes = bytes.dropFirst(n)
        }
    }
}

/// Connects, retrying until `deadline` (nil: forever) while the servers are unreachable.
public func connectWithRetry(
    _ server: String, sessionTimeout: Duration, deadline: ContinuousClock.Instant? = nil
) async throws -> ZooKeeperClient {
    var delay = Duration.milliseconds(100)
    while true {
        do {
            return try await ZooKeeperClient.connect(server, sessionTimeout: sessionTimeout, requestTimeout: .seconds(10))
        } catch let error as ZooKeeperError where error.isRetryable {
            if let deadline, ContinuousClock.now + delay > deadline { throw error }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
        }
    }
}

/// Runs `handler` once on the first SIGINT or SIGTERM (the default actions are disabled so
/// the example can step down cleanly: delete its nodes, close its session, exit 0).
public final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var sources: [any DispatchSourceSignal] = []
    private var fired = false
    private let stream: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation

    public init() {
        (stream, continuation) = AsyncStream<Int32>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let queue = DispatchQueue(label: "examples.signals")
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { [weak self] in self?.fire(sig) }
            source.resume()
            sources.append(source)
        }
    }

    private func fire(_ sig: Int32) {
        lock.lock()
        let first = !fired
        fired = true
        lock.unlock()
        if first { continuation.yield(sig) }
    }

    public var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return fired
    }

    /// Returns when the first stop signal arrives.
    public func wait() async {
        var iterator = stream.makeAsyncIterator()
        _ = await iterator.next()
    }
}

extension Duration {
    public static func fromSeconds(_ seconds: Double) -> Duration { .milliseconds(Int64(seconds * 1000)) }
}
