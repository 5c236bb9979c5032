import Foundation
import ZooKeeperClient

/// zk-cli: zkCli.sh's command syntax and output. `zk-cli -server h:p[,h2:p2][/chroot] [-timeout ms] [cmd args]`.
struct Options {
    var server = "localhost:2181"
    var timeoutMillis = 30_000
    var command: [String] = []

    init(_ argv: [String]) {
        var i = 0
        while i < argv.count {
            let a = argv[i]
            switch a {
            case "-server" where i + 1 < argv.count:
                server = argv[i + 1]; i += 2
            case "-timeout" where i + 1 < argv.count:
                timeoutMillis = Int(argv[i + 1]) ?? timeoutMillis; i += 2
            case "-client-configuration" where i + 1 < argv.count:
                i += 2
            case "-r", "-waitforconnection":
                i += 1
            default:
                command = Array(argv[i...])
                i = argv.count
            }
        }
    }
}

func runMain() async -> Int32 {
    let options = Options(Array(CommandLine.arguments.dropFirst()))
    let shell = Shell(host: options.server, timeout: .milliseconds(options.timeoutMillis))
    Console.shared.out("Connecting to \(options.server)")
    if !options.command.isEmpty {
        do {
            try await shell.connect()
        } catch CliError.message(let m) {
            Console.shared.err(m)
            return 1
        } catch {
            Console.shared.err("\(error)")
            return 1
        }
        let line = options.command.map { $0.contains(" ") ? "\"\($0)\"" : $0 }.joined(separator: " ")
        let code = await shell.execute(line, recordHistory: false)
        await shell.setPrintWatches(false)
        await shell.close()
        return code
    }
    let interactive = isatty(0) == 1 && isatty(1) == 1
    Console.shared.out("Welcome to ZooKeeper!")
    if !interactive { Console.shared.out("JLine support is disabled") }
    do {
        try await shell.connect()
    } catch CliError.message(let m) {
        Console.shared.err(m)
    } catch {
        Console.shared.err("\(error)")
    }
    if interactive {
        await runInteractive(shell)
    } else {
        // Like zkCli, a script's exit status is the last command's (quit keeps it).
        var status: Int32 = 0
        while let line = readLine(strippingNewline: true) {
            let code = await shell.execute(line, recordHistory: true)
            if await shell.quitRequested { return status }
            if !CommandLineSplitter.words(line).isEmpty { status = code }
        }
        await shell.setPrintWatches(false)
        await shell.close()
        return status
    }
    await shell.setPrintWatches(false)
    await shell.close()
    return 0
}

exit(await runMain())
