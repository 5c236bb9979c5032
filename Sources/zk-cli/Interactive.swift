import Foundation

/// Interactive loop: prompt, line editing, history file, completion.
func runInteractive(_ shell: Shell) async {
    let historyFile = (ProcessInfo.processInfo.environment["HOME"] ?? ".") + "/.zk_cli_history"
    let editor = LineEditor(historyFile: historyFile)
    defer { editor.restore() }
    while true {
        let prompt = await shell.prompt()
        guard let line = await editor.readLine(prompt: prompt, completer: { text in await completions(text, shell: shell) }) else {
            break
        }
        _ = await shell.execute(line, recordHistory: true)
        if await shell.quitRequested { break }
    }
}

/// Completes the first word from the command names and later words from znode paths.
func completions(_ text: String, shell: Shell) async -> [String] {
    let words = text.split(separator: " ", omittingEmptySubsequences: false)
    guard words.count > 1 else {
        let prefix = String(words.first ?? "")
        return commandsByName.keys.filter { $0.hasPrefix(prefix) }.sorted().map { $0 + " " }
    }
    let current = String(words.last!)
    guard current.hasPrefix("/"), let zk = try? await shell.requireClient() else { return [] }
    let slash = current.lastIndex(of: "/")!
    let parent = slash == current.startIndex ? "/" : String(current[..<slash])
    let partial = String(current[current.index(after: slash)...])
    guard let children = try? await zk.getChildren(parent) else { return [] }
    let base = parent == "/" ? "/" : parent + "/"
    return children.filter { $0.hasPrefix(partial) }.sorted().map { base + $0 }
}
