/// A configuration problem that stops the server, naming where it is and what to do.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var key: String?
    public var message: String

    public init(file: String, line: Int? = nil, key: String? = nil, _ message: String) {
        self.file = file; self.line = line; self.key = key; self.message = message
    }

    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if let key { s += ": key '\(key)'" }
        return s + ": " + message
    }
}

/// A non-fatal remark about the configuration (unknown or ignored keys).
public struct ConfigWarning: Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var key: String
    public var message: String
    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): key '\(key)': \(message)"
    }
}
