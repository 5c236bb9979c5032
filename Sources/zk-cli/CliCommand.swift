import ZooKeeperClient
import ZooKeeperWire

/// One shell command, after ZooKeeper's `cli/*Command.java`.
protocol CliCommand: Sendable {
    var name: String { get }
    /// The usage line zkCli prints (`ls [-s] [-w] [-R] path`).
    var usage: String { get }
    /// Flags: true when the flag takes a value (`-v version`).
    var flags: [String: Bool] { get }
    /// Positional arguments required after the command name.
    var minArguments: Int { get }
    func run(_ args: ParsedCommand, shell: Shell) async throws
}

extension CliCommand {
    var flags: [String: Bool] { [:] }
    var minArguments: Int { 1 }
}

/// A command line split into options and positional arguments (positional[0] is the command).
struct ParsedCommand: Sendable {
    var positional: [String]
    var options: [String: String]

    func has(_ flag: String) -> Bool { options[flag] != nil }
    subscript(_ i: Int) -> String? { i < positional.count ? positional[i] : nil }
}

enum CliError: Error {
    /// Bad arguments: print the command's usage, exit 1.
    case usage(String)
    /// Print this message to stderr, exit 1.
    case message(String)
    case notConnected
    case commandNotFound(String)
}

enum CommandLineSplitter {
    /// zkCli's `MyCommandOptions.parseCommand`: whitespace-separated words, where a word may be
    /// a "double" or 'single' quoted string (the quotes are removed).
    static func words(_ line: String) -> [String] {
        var out: [String] = []
        var i = line.startIndex
        while i < line.endIndex {
            while i < line.endIndex, line[i].isWhitespace { i = line.index(after: i) }
            guard i < line.endIndex else { break }
            let c = line[i]
            if c == "\"" || c == "'" {
                let start = line.index(after: i)
                if let end = line[start...].firstIndex(of: c) {
                    out.append(String(line[start..<end]))
                    i = line.index(after: end)
                    continue
                }
            }
            var j = i
            while j < line.endIndex, !line[j].isWhitespace { j = line.index(after: j) }
            out.append(String(line[i..<j]))
            i = j
        }
        return out
    }

    /// Options may appear anywhere (commons-cli's parser); `--` is not special.
    static func parse(_ words: [String], flags: [String: Bool]) throws -> ParsedCommand {
        var positional: [String] = []
        var options: [String: String] = [:]
        var i = 0
        while i < words.count {
            let w = words[i]
            if i > 0, w.hasPrefix("-"), w.count > 1, let takesValue = flags[String(w.dropFirst())] {
                let key = String(w.dropFirst())
                if takesValue {
                    guard i + 1 < words.count else { throw CliError.usage("") }
                    options[key] = words[i + 1]
                    i += 2
                    continue
                }
                options[key] = ""
            } else if i > 0, w.hasPrefix("-"), w.count > 1, Int(w) == nil {
                throw CliError.usage("Unrecognized option: \(w)")
            } else {
                positional.append(w)
            }
            i += 1
        }
        return ParsedCommand(positional: positional, options: options)
    }
}

/// Every command, in zkCli's help order.
let allCommands: [any CliCommand] = [
    AddWatchCommand(), AddAuthCommand(), CloseCommand(), ConfigCommand(), ConnectCommand(), CreateCommand(), DeleteCommand(),
    DeleteAllCommand(), DelQuotaCommand(), GetCommand(), GetAclCommand(), GetAllChildrenNumberCommand(), GetEphemeralsCommand(), HelpCommand(),
    HistoryCommand(), ListQuotaCommand(), LsCommand(), PrintWatchesCommand(), QuitCommand(), ReconfigCommand(), RedoCommand(), RemoveWatchesCommand(),
    SetCommand(), SetAclCommand(), SetQuotaCommand(), StatCommand(), SyncCommand(), VersionCommand(), WhoAmICommand(),
]

let commandsByName: [String: any CliCommand] = Dictionary(uniqueKeysWithValues: allCommands.map { ($0.name, $0) })

/// zkCli's `usage()`: the banner line, then one tab-indented line per command.
func usageText() -> String {
    var lines = ["ZooKeeper -server host:port -client-configuration properties-file cmd args"]
    for c in allCommands.sorted(by: { $0.name < $1.name }) {
        lines.append("\t" + c.usage)
    }
    return lines.joined(separator: "\n")
}
