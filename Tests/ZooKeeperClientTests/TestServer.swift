import Foundation
import Logging
import Testing
import ZooKeeperClient
#if canImport(Glibc)
import Glibc
#endif

/// A ZooKeeper-compatible server process started by a test: Tusk's `zk-server` or Apache
/// ZooKeeper 3.8, chosen by `ZK_TEST_TARGET=zookeeper|tusk` (default: tusk when
/// `.build/debug/zk-server` exists under the package root, else zookeeper). Free port picked
/// at run time, temporary dataDir; only this process is ever signalled.
final class TestServer: @unchecked Sendable {
    enum Kind: String { case tusk, zookeeper }

    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var tuskBinary: String {
        ProcessInfo.processInfo.environment["TUSK_BIN"]
            ?? packageRoot.appendingPathComponent(".build/debug/zk-server").path
    }

    static var kind: Kind {
        if let raw = ProcessInfo.processInfo.environment["ZK_TEST_TARGET"], let k = Kind(rawValue: raw) { return k }
        return FileManager.default.isExecutableFile(atPath: tuskBinary) ? .tusk : .zookeeper
    }

    static let startTimeout: Duration = .seconds(Int(ProcessInfo.processInfo.environment["ZK_START_TIMEOUT"] ?? "") ?? 90)

    let kind: Kind
    let workdir: URL
    let dataDir: URL
    private(set) var port: Int
    /// Ensemble members: `server.N=…` lines and this server's id (nil: standalone).
    var ensembleConfig = ""
    var myid: Int?
    private var process: Process?
    private let lock = NSLock()

    var connectString: String { "127.0.0.1:\(port)" }
    var logPath: URL { workdir.appendingPathComponent("server.log") }

    init(kind: Kind = TestServer.kind) throws {
        self.kind = kind
        workdir = FileManager.default.temporaryDirectory.appendingPathComponent("zk-client-test-\(UUID().uuidString)")
        dataDir = workdir.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        port = try Self.freePort()
    }

    /// Starts `count` servers as one ensemble (each on its own client, peer and election port)
    /// and waits until every one of them accepts sessions.
    static func startEnsemble(count: Int) async throws -> [TestServer] {
        let servers = try (0..<count).map { _ in try TestServer() }
        var lines: [String] = []
        for (i, _) in servers.enumerated() {
            lines.append("server.\(i + 1)=127.0.0.1:\(try freePort()):\(try freePort())")
        }
        for (i, s) in servers.enumerated() {
            s.myid = i + 1
            s.ensembleConfig = lines.joined(separator: "\n") + "\n"
        }
        do {
            for s in servers { try s.launch() }
            for s in servers { try await s.waitReady() }
        } catch {
            for s in servers { await s.cleanup() }
            throw error
        }
        return servers
    }

    /// Starts the process and waits until a session handshake succeeds (bounded).
    /// A port picked by `freePort()` can be taken by someone else before the server binds it:
    /// a first start retries on a fresh port when the process exits during startup.
    func start() async throws {
        for attempt in 0..<3 {
            try launch()
            do {
                try await waitReady()
                return
            } catch TestServerError.exited(let log) where attempt < 2 && !started && myid == nil {
                _ = log
                await stop()
                port = try Self.freePort()
            }
        }
    }

    private func launch() throws {
        let cfg = """
            tickTime=500
            initLimit=10
            syncLimit=5
            clientPort=\(port)
            clientPortAddress=127.0.0.1
            dataDir=\(dataDir.path)
            maxClientCnxns=0
            minSessionTimeout=1000
            maxSessionTimeout=30000
            4lw.commands.whitelist=*
            extendedTypesEnabled=true
            admin.enableServer=false
            \(ensembleConfig)
            """
        if let myid {
            try "\(myid)\n".write(to: dataDir.appendingPathComponent("myid"), atomically: true, encoding: .utf8)
        }
        let cfgPath = workdir.appendingPathComponent("zoo.cfg")
        try cfg.write(to: cfgPath, atomically: true, encoding: .utf8)
        if !FileManager.default.fileExists(atPath: logPath.path) {
            _ = FileManager.default.createFile(atPath: logPath.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: logPath)
        log.seekToEndOfFile()
        let p = Process()
        switch kind {
        case .zookeeper:
            p.executableURL = URL(fileURLWithPath: "/usr/bin/java")
            p.arguments = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                           "-Dzookeeper.extendedTypesEnabled=true",
                           "-cp", "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar",
                           myid == nil ? "org.apache.zookeeper.server.ZooKeeperServerMain"
                               : "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfgPath.path]
        case .tusk:
            p.executableURL = URL(fileURLWithPath: Self.tuskBinary)
            p.arguments = [cfgPath.path]
        }
        p.currentDirectoryURL = workdir
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = log
        p.standardError = log
        try p.run()
        lock.withLock { process = p }
    }

    private var started = false

    private func waitReady() async throws {
        let deadline = ContinuousClock.now + Self.startTimeout
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            guard lock.withLock({ process?.isRunning }) == true else {
                throw TestServerError.exited(logTail())
            }
            do {
                let config = ZooKeeperClient.Configuration(
                    connectionString: try ConnectionString(connectString), sessionTimeout: .seconds(4),
                    connectTimeout: .seconds(2))
                let probe = try await ZooKeeperClient.connect(configuration: config)
                await probe.close()
                started = true
                return
            } catch {
                lastError = error
                // The condition is the handshake; this pause only paces the probes.
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw TestServerError.notReady("\(lastError.map { "\($0)" } ?? "")\n\(logTail())")
    }

    /// SIGTERM, then SIGKILL after a bound; waits for the exit.
    func stop() async {
        guard let p = lock.withLock({ () -> Process? in defer { process = nil }; return process }) else { return }
        guard p.isRunning else { return }
        p.terminate()
        let deadline = ContinuousClock.now + .seconds(10)
        while p.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            while p.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }
    }

    /// Stops and starts the same server: same port, same dataDir.
    func restart() async throws {
        await stop()
        try await start()
    }

    func cleanup() async {
        await stop()
        if ProcessInfo.processInfo.environment["ZK_KEEP_WORKDIR"] != "1" {
            try? FileManager.default.removeItem(at: workdir)
        }
    }

    func logTail(_ lines: Int = 30) -> String {
        let text = (try? String(contentsOf: logPath, encoding: .utf8)) ?? "(no log)"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestServerError.noPort }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { ptr in
            ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, len) == 0 && getsockname(fd, sa, &len) == 0
            }
        }
        guard ok else { throw TestServerError.noPort }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

enum TestServerError: Error, CustomStringConvertible {
    case exited(String)
    case notReady(String)
    case noPort
    var description: String {
        switch self {
        case .exited(let log): "server exited during startup:\n\(log)"
        case .notReady(let log): "server not ready in time:\n\(log)"
        case .noPort: "no free port"
        }
    }
}

/// A suite trait that runs one server for the whole suite; tests read it via `SharedServer.current`.
struct SharedServer: SuiteTrait, TestScoping {
    @TaskLocal static var current: TestServer?

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let server = try TestServer()
        do {
            try await server.start()
        } catch {
            await server.cleanup()
            throw error
        }
        do {
            try await SharedServer.$current.withValue(server) { try await function() }
        } catch {
            await server.cleanup()
            throw error
        }
        await server.cleanup()
    }

    static var server: TestServer {
        get throws {
            guard let current else { throw TestServerError.notReady("no shared server in scope") }
            return current
        }
    }
}

extension Trait where Self == SharedServer {
    static var sharedServer: SharedServer { SharedServer() }
}

/// Helpers for tests.
enum TestSupport {
    static func connect(_ server: TestServer, chroot: String = "", sessionTimeout: Duration = .seconds(10),
                        requestTimeout: Duration = .seconds(20)) async throws -> ZooKeeperClient {
        try await connect(connectString: server.connectString + chroot, sessionTimeout: sessionTimeout, requestTimeout: requestTimeout)
    }

    /// A client for `connectString`, logging at trace level when ZK_CLIENT_DEBUG=1.
    static func connect(connectString: String, sessionTimeout: Duration, requestTimeout: Duration) async throws -> ZooKeeperClient {
        var config = ZooKeeperClient.Configuration(
            connectionString: try ConnectionString(connectString), sessionTimeout: sessionTimeout,
            requestTimeout: requestTimeout)
        if ProcessInfo.processInfo.environment["ZK_CLIENT_DEBUG"] == "1" {
            var logger = Logger(label: "zk-client-test", factory: { StreamLogHandler.standardError(label: $0) })
            logger.logLevel = .trace
            config.logger = logger
        }
        return try await ZooKeeperClient.connect(configuration: config)
    }

    /// A fresh base path per test, so tests sharing a server never collide.
    static func basePath(_ name: String = #function) -> String {
        let clean = name.filter { $0.isLetter || $0.isNumber }
        return "/t-\(clean.prefix(40))-\(UUID().uuidString.prefix(8))"
    }

    /// Awaits `body` or fails after `limit`.
    static func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw TimedOut(limit: limit)
            }
            return value
        }
    }

    /// Ends `victim`'s session from outside: another connection takes the session over (the
    /// server drops the victim's connection), runs `whileTakenOver`, then closes the session.
    /// The victim's reconnect can take the session back in between, leaving the close with
    /// nothing to close; so repeat until resuming the session is refused as expired.
    static func expireSession(
        of victim: ZooKeeperClient, on server: TestServer,
        whileTakenOver: @Sendable () async throws -> Void = {}
    ) async throws {
        let id = await victim.sessionId
        let password = await victim.sessionPassword
        for _ in 0..<20 {
            var config = ZooKeeperClient.Configuration(
                connectionString: try ConnectionString(server.connectString), sessionTimeout: .seconds(4))
            config.resumeSession = (id, password)
            let thief: ZooKeeperClient
            do {
                thief = try await ZooKeeperClient.connect(configuration: config)
            } catch let error as ZooKeeperError where error.kind == .sessionExpired {
                return
            }
            try await whileTakenOver()
            await thief.close()
        }
        throw TimedOut(limit: .seconds(0))
    }

    struct TimedOut: Error, CustomStringConvertible {
        var limit: Duration
        var description: String { "timed out after \(limit)" }
    }

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
}
