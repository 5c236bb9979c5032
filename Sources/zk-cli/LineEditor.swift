import Foundation

/// A small raw-mode (termios) line editor: cursor movement, history (kept in a file across
/// runs), tab completion, and output from other tasks printed above the line being typed.
final class LineEditor: @unchecked Sendable {
    private let lock = NSLock()
    private var snapshot: String?  // what to redraw after async output; nil when not editing
    private var history: [String] = []
    private let historyFile: String
    private let input: AsyncStream<UInt8>
    private var saved = termios()

    init(historyFile: String) {
        self.historyFile = historyFile
        if let text = try? String(contentsOfFile: historyFile, encoding: .utf8) {
            history = text.split(separator: "\n").map(String.init).suffix(500)
        }
        let (stream, continuation) = AsyncStream<UInt8>.makeStream()
        input = stream
        rawMode(true)
        // Blocking reads live on their own thread, never on the cooperative pool.
        let reader = Thread {
            var byte: UInt8 = 0
            while read(0, &byte, 1) == 1 { continuation.yield(byte) }
            continuation.finish()
        }
        reader.start()
        Console.shared.beforeAsyncOutput = { [unowned self] in
            if self.lock.withLock({ self.snapshot }) != nil { Console.writeAll("\r\u{1b}[K", fd: 1) }
        }
        Console.shared.afterAsyncOutput = { [unowned self] in
            if let s = self.lock.withLock({ self.snapshot }) { Console.writeAll(s, fd: 1) }
        }
    }

    /// Raw input for the whole session (not per line): type-ahead while a command runs stays
    /// queued for the next line instead of being echoed by the tty or flushed by a mode switch.
    private func rawMode(_ on: Bool) {
        if on {
            tcgetattr(0, &saved)
            var t = saved
            t.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
            t.c_iflag &= ~tcflag_t(IXON | ICRNL)
            tcsetattr(0, TCSADRAIN, &t)
        } else {
            tcsetattr(0, TCSADRAIN, &saved)
        }
    }

    /// Puts the terminal back as it was.
    func restore() { rawMode(false) }

    /// Reads one line; nil at end of input (Ctrl-D on an empty line).
    func readLine(prompt: String, completer: @Sendable (String) async -> [String]) async -> String? {
        var buffer: [Character] = []
        var cursor = 0
        var historyIndex = history.count
        var pendingUTF8: [UInt8] = []
        var iterator = input.makeAsyncIterator()

        func redraw() {
            let back = buffer.count - cursor
            let line = "\r" + prompt + String(buffer) + "\u{1b}[K" + (back > 0 ? "\u{1b}[\(back)D" : "")
            lock.withLock { snapshot = line }
            Console.shared.raw(line)
        }
        func finish(_ text: String?) -> String? {
            lock.withLock { snapshot = nil }
            Console.shared.raw("\r\n")
            if let text, !text.trimmingCharacters(in: .whitespaces).isEmpty {
                history.append(text)
                if let h = FileHandle(forWritingAtPath: historyFile) ?? {
                    _ = FileManager.default.createFile(atPath: historyFile, contents: nil)
                    return FileHandle(forWritingAtPath: historyFile)
                }() {
                    h.seekToEndOfFile()
                    h.write(Data((text + "\n").utf8))
                    try? h.close()
                }
            }
            return text
        }
        redraw()
        while let byte = await iterator.next() {
            switch byte {
            case 13, 10: return finish(String(buffer))
            case 4 where buffer.isEmpty: return finish(nil)
            case 4:  // Ctrl-D deletes under the cursor
                if cursor < buffer.count { buffer.remove(at: cursor) }
            case 3:  // Ctrl-C abandons the line
                Console.shared.raw("^C")
                buffer = []; cursor = 0
                Console.shared.raw("\r\n")
            case 127, 8:
                if cursor > 0 { cursor -= 1; buffer.remove(at: cursor) }
            case 1: cursor = 0
            case 5: cursor = buffer.count
            case 2: cursor = max(0, cursor - 1)
            case 6: cursor = min(buffer.count, cursor + 1)
            case 11: buffer.removeSubrange(cursor...)
            case 21: buffer.removeSubrange(..<cursor); cursor = 0
            case 23:  // Ctrl-W: delete the word before the cursor
                var i = cursor
                while i > 0, buffer[i - 1] == " " { i -= 1 }
                while i > 0, buffer[i - 1] != " " { i -= 1 }
                buffer.removeSubrange(i..<cursor); cursor = i
            case 9:
                let text = String(buffer[..<cursor])
                let candidates = await completer(text)
                let lastWordStart = text.lastIndex(of: " ").map { text.index(after: $0) } ?? text.startIndex
                let word = String(text[lastWordStart...])
                if candidates.count == 1 || (candidates.count > 1 && commonPrefix(candidates).count > word.count) {
                    let replacement = candidates.count == 1 ? candidates[0] : commonPrefix(candidates)
                    let start = cursor - word.count
                    buffer.replaceSubrange(start..<cursor, with: Array(replacement))
                    cursor = start + replacement.count
                } else if candidates.count > 1 {
                    lock.withLock { snapshot = nil }
                    Console.shared.raw("\r\n" + candidates.joined(separator: "  ") + "\r\n")
                }
            case 27:
                guard let b1 = await iterator.next(), b1 == 91 || b1 == 79, let b2 = await iterator.next() else { break }
                switch b2 {
                case 65:  // up
                    if historyIndex > 0 { historyIndex -= 1; buffer = Array(history[historyIndex]); cursor = buffer.count }
                case 66:  // down
                    if historyIndex < history.count { historyIndex += 1 }
                    buffer = historyIndex < history.count ? Array(history[historyIndex]) : []
                    cursor = buffer.count
                case 67: cursor = min(buffer.count, cursor + 1)
                case 68: cursor = max(0, cursor - 1)
                case 72: cursor = 0
                case 70: cursor = buffer.count
                case 51:  // ESC [ 3 ~ : delete
                    _ = await iterator.next()
                    if cursor < buffer.count { buffer.remove(at: cursor) }
                default: break
                }
            default:
                guard byte >= 32 else { break }
                pendingUTF8.append(byte)
                let lead = pendingUTF8[0]
                let need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
                guard pendingUTF8.count >= need else { continue }
                for c in String(decoding: pendingUTF8, as: UTF8.self) { buffer.insert(c, at: cursor); cursor += 1 }
                pendingUTF8 = []
            }
            redraw()
        }
        return finish(nil)
    }

    private func commonPrefix(_ items: [String]) -> String {
        guard var prefix = items.first else { return "" }
        for item in items.dropFirst() {
            while !item.hasPrefix(prefix) { prefix.removeLast() }
        }
        return prefix
    }
}
