import ZooKeeperClient
import ZooKeeperWire

/// The shell's state: the current client, history, printwatches; runs command lines.
actor Shell {
    private(set) var client: ZooKeeperClient?
    private(set) var host: String
    let timeout: Duration
    private(set) var printWatches = true
    private(set) var history: [Int: String] = [:]
    private(set) var commandCount = 0
    private var stateTask: Task<Void, Never>?
    private(set) var quitRequested = false

    init(host: String, timeout: Duration) {
        self.host = host
        self.timeout = timeout
    }

    /// `[zk: host(CONNECTED) 3] `
    func prompt() async -> String {
        let state: String
        if let client { state = await client.isConnected ? "CONNECTED" : "CONNECTING" } else { state = "CLOSED" }
        return "[zk: \(host)(\(state)) \(commandCount)] "
    }

    // MARK: connection

    /// Connects to `host` (closing any previous session); prints the SyncConnected event.
    func connect(to newHost: String? = nil) async throws {
        if let newHost { host = newHost }
        await close()
        let cs = try ConnectionString(host)
        let config = ZooKeeperClient.Configuration(connectionString: cs, sessionTimeout: timeout, connectTimeout: timeout)
        let zk = ZooKeeperClient(configuration: config)
        let states = await zk.connectionStates()
        let (firstSeen, firstSeenContinuation) = AsyncStream<Void>.makeStream()
        stateTask = Task {
            // Nothing to report about a session that never started (a failed connect).
            var started = false
            for await state in states {
                if state == .connected { started = true }
                guard started else { continue }
                self.printState(state)
                firstSeenContinuation.yield()
            }
            firstSeenContinuation.finish()
        }
        do {
            try await zk.start()
        } catch {
            stateTask?.cancel()
            throw CliError.message("Unable to connect to \(host): \(error)")
        }
        client = zk
        for await _ in firstSeen { break }
    }

    private func printState(_ state: ConnectionState) {
        let keeper: KeeperState = switch state {
        case .connected, .reconnected: .syncConnected
        case .suspended: .disconnected
        case .expired: .expired
        case .authFailed: .authFailed
        case .closed: .closed
        }
        printEventIfEnabled(WatchEvent(type: .none, state: keeper, path: ""))
        if state == .expired || state == .authFailed { client = nil }
    }

    func close() async {
        guard let zk = client else { return }
        client = nil
        await zk.close()
        await stateTask?.value
        stateTask = nil
    }

    func requireClient() throws -> ZooKeeperClient {
        guard let client else { throw CliError.notConnected }
        return client
    }

    // MARK: watches

    nonisolated func printEvent(_ event: WatchEvent) {
        Task { await self.printEventIfEnabled(event) }
    }

    private func printEventIfEnabled(_ event: WatchEvent) {
        guard printWatches else { return }
        Console.shared.out("\nWATCHER::\n\n\(event)")
    }

    /// Prints the event of a one-shot watch when it comes.
    nonisolated func follow(_ watch: Watch) {
        Task {
            for await event in watch where event.type != .none {
                await self.printEventIfEnabled(event)
            }
        }
    }

    nonisolated func follow(_ stream: AsyncStream<WatchEvent>) {
        Task {
            for await event in stream where event.type != .none {
                await self.printEventIfEnabled(event)
            }
        }
    }

    func setPrintWatches(_ on: Bool) { printWatches = on }
    func requestQuit() { quitRequested = true }

    // MARK: running lines

    /// Runs one line; returns zkCli's exit code (0, 1 on failure, 127 for an unknown command).
    func execute(_ line: String, recordHistory: Bool) async -> Int32 {
        let words = CommandLineSplitter.words(line)
        guard !words.isEmpty else { return 0 }
        if recordHistory { history[commandCount] = line }
        defer { if recordHistory { commandCount += 1 } }
        return await run(words)
    }

    func run(_ words: [String]) async -> Int32 {
        guard let command = commandsByName[words[0]] else {
            Console.shared.err(usageText())
            Console.shared.err("Command not found: Command not found \(words[0])")
            return 127
        }
        do {
            let parsed = try CommandLineSplitter.parse(words, flags: command.flags)
            guard parsed.positional.count > command.minArguments else { throw CliError.usage("") }
            try await command.run(parsed, shell: self)
            return 0
        } catch CliError.usage(let message) {
            if !message.isEmpty { Console.shared.err(message) }
            Console.shared.err(command.usage)
        } catch CliError.message(let message) {
            Console.shared.err(message)
        } catch CliError.notConnected {
            Console.shared.err("Not connected")
        } catch CliError.commandNotFound(let name) {
            Console.shared.err("Command not found: Command not found \(name)")
            return 127
        } catch let error as ZooKeeperError {
            Console.shared.err(Format.error(error))
        } catch {
            Console.shared.err("\(error)")
        }
        return 1
    }

    /// `redo n`: runs history entry `n` in place of the redo line.
    func redo(_ index: Int) async throws {
        guard index >= 0, index < commandCount, let line = history[index] else {
            throw CliError.message("Command index out of range")
        }
        let words = CommandLineSplitter.words(line)
        if words.first == "redo" { throw CliError.message("No redoing redos") }
        history[commandCount] = line
        _ = await run(words)
    }
}
