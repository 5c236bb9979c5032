import Foundation

/// Serialised stdout/stderr: watch events arrive from other tasks while a command prints.
final class Console: @unchecked Sendable {
    static let shared = Console()
    private let lock = NSLock()

    func out(_ line: String) { write(line + "\n", fd: 1) }
    func err(_ line: String) { write(line + "\n", fd: 2) }

    func write(_ text: String, fd: Int32) {
        lock.lock()
        defer { lock.unlock() }
        beforeAsyncOutput?()
        Console.writeAll(text, fd: fd)
        afterAsyncOutput?()
    }

    /// Writes without the line-editor hooks (the editor's own echo).
    func raw(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        Console.writeAll(text, fd: 1)
    }

    static func writeAll(_ text: String, fd: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            bytes = bytes.dropFirst(n)
        }
    }

    /// Set by the line editor so output arriving mid-typing does not break the line.
    nonisolated(unsafe) var beforeAsyncOutput: (() -> Void)?
    nonisolated(unsafe) var afterAsyncOutput: (() -> Void)?
}
