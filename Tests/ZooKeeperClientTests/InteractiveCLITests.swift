import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import ZooKeeperClient

/// Drives `zk-cli` in a real terminal (a private tmux server) as a person would type.
final class TmuxSession: @unchecked Sendable {
    let socket = "zkcli-test-\(UUID().uuidString.prefix(8))"
    let name = "s"

    func tmux(_ args: [String]) async throws -> ProcessRunner.Result {
        return try await ProcessRunner.run("/usr/bin/tmux", ["-L", socket] + args, limit: .seconds(20))
    }

    /// The tmux server outlives this call, so it must not hold our pipes: its output goes nowhere.
    func start(_ command: String) async throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/tmux")
        p.arguments = ["-L", socket, "new-session", "-d", "-s", name, "-x", "160", "-y", "50", command]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Ready when the session exists (Foundation's isRunning lags for tmux's daemonising client).
        let deadline = ContinuousClock.now + .seconds(20)
        while try await tmux(["has-session", "-t", name]).status != 0 {
            guard ContinuousClock.now < deadline else { throw TestSupport.TimedOut(limit: .seconds(20)) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func send(_ keys: String...) async throws { _ = try await tmux(["send-keys", "-t", name] + keys) }
    func type(_ text: String) async throws { _ = try await tmux(["send-keys", "-t", name, "-l", text]) }

    func screen() async throws -> String { try await tmux(["capture-pane", "-p", "-t", name, "-S", "-200"]).stdout }

    /// Waits (bounded) until the screen satisfies `condition`.
    @discardableResult
    func waitFor(_ what: String, limit: Duration = .seconds(20), _ condition: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + limit
        while true {
            let s = try await screen()
            if condition(s) { return s }
            if ContinuousClock.now > deadline {
                Issue.record("timed out waiting for \(what); screen:\n\(s)")
                throw TestSupport.TimedOut(limit: limit)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func waitFor(text: String, limit: Duration = .seconds(20)) async throws {
        try await waitFor(text, limit: limit) { $0.contains(text) }
    }

    /// Foundation's `Process` starts children with most signals blocked, so a tmux server it
    /// spawned ignores `kill-server`'s shutdown; kill the server and the pane by pid.
    func kill() async {
        let pids = (try? await tmux(["display-message", "-p", "-t", name, "#{pid} #{pane_pid}"]))?.stdout ?? ""
        _ = try? await tmux(["kill-server"])
        for pid in pids.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap({ Int32($0) }) where pid > 1 {
            Glibc.kill(pid, SIGKILL)
        }
        // The server's socket file stays behind when it is killed.
        let dir = ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp"
        try? FileManager.default.removeItem(atPath: "\(dir)/tmux-\(getuid())/\(socket)")
    }
}

@Suite("zk-cli interactive, in a terminal", .sharedServer)
struct InteractiveCLITests {
    @Test("prompt, completion of commands and znode paths, watch output while typing, history across runs",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")))
    func interactive() async throws {
        let server = try SharedServer.server
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("zkcli-home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let base = TestSupport.basePath()
        let command = "env HOME=\(home.path) \(ProcessRunner.zkCliBinary) -server \(server.connectString)"
        let tmux = TmuxSession()
        do {
            try await tmux.start(command)
            try await tmux.waitFor(text: "(CONNECTED) 0]")
            try await tmux.type("create \(base) hello")
            try await tmux.send("Enter")
            try await tmux.waitFor(text: "Created \(base)")
            // Tab completes the command name, then the znode path from the server.
            try await tmux.type("getA")
            try await tmux.send("Tab")
            try await tmux.waitFor(text: "] getA")
            try await tmux.send("C-u")
            try await tmux.type("get -w \(base.dropLast(3))")
            try await tmux.send("Tab")
            try await tmux.waitFor(text: "] get -w \(base)")
            try await tmux.send("Enter")
            try await tmux.waitFor(text: "hello")
            // A watch event arrives while a line is half typed: printed above, line kept.
            try await tmux.type("ls \(base)")
            let zk = try await TestSupport.connect(server)
            try await zk.setData(base, data: Array("world".utf8))
            await zk.close()
            // The event is printed above, then the half-typed line is redrawn below it.
            try await tmux.waitFor("watch event above the redrawn line") { screen in
                screen.contains("type:NodeDataChanged path:\(base)")
                    && screen.split(separator: "\n").last { !$0.isEmpty }?.hasSuffix("] ls \(base)") == true
            }
            try await tmux.send("Enter")
            try await tmux.waitFor(text: "(CONNECTED) 3]")
            // Up arrow recalls the previous line.
            try await tmux.send("Up")
            try await tmux.waitFor(text: "3] ls \(base)")
            try await tmux.send("C-u")
            try await tmux.type("quit")
            try await tmux.send("Enter")
            // quit closes the session and exits: the tmux session ends with the process.
            let deadline = ContinuousClock.now + .seconds(20)
            while try await tmux.tmux(["has-session", "-t", tmux.name]).status == 0 {
                guard ContinuousClock.now < deadline else { throw TestSupport.TimedOut(limit: .seconds(20)) }
                try await Task.sleep(for: .milliseconds(50))
            }
            let history = try String(contentsOf: home.appendingPathComponent(".zk_cli_history"), encoding: .utf8)
            #expect(history.split(separator: "\n").suffix(2) == ["ls \(base)", "quit"])
        } catch {
            await tmux.kill()
            throw error
        }
        await tmux.kill()
        // A second run sees the first run's history.
        let second = TmuxSession()
        do {
            try await second.start(command)
            try await second.waitFor(text: "(CONNECTED) 0]")
            try await second.send("Up", "Up")
            try await second.waitFor(text: "0] ls \(base)")
        } catch {
            await second.kill()
            throw error
        }
        await second.kill()
    }
}
