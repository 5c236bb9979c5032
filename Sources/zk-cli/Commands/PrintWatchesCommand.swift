import ZooKeeperClient
import ZooKeeperWire

/// `printwatches on|off`.
struct PrintWatchesCommand: CliCommand {
    let name = "printwatches"
    let usage = "printwatches on|off"
    let minArguments = 0

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        switch args[1] {
        case nil: Console.shared.out("printwatches is \(await shell.printWatches ? "on" : "off")")
        case let v?: await shell.setPrintWatches(v == "on")
        }
    }
}
