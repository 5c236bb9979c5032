/// A parsed connection string: `"h1:2181,h2:2181/app"` — hosts, then an optional chroot.
public struct ConnectionString: Hashable, Sendable {
    public struct Host: Hashable, Sendable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) { self.host = host; self.port = port }
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    public var hosts: [Host]
    /// The chroot without a trailing slash (`"/app"`), or nil.
    public var chroot: String?

    public static let defaultPort = 2181

    public init(hosts: [Host], chroot: String? = nil) {
        self.hosts = hosts
        self.chroot = chroot
    }

    /// Parses `host[:port][,host[:port]…][/chroot]`. IPv6 hosts go in brackets: `[::1]:2181`.
    public init(_ string: String) throws {
        var hostPart = Substring(string)
        var chroot: String? = nil
        if let slash = string.firstIndex(of: "/") {
            hostPart = string[..<slash]
            let c = String(string[slash...])
            if c != "/" {
                let trimmed = c.hasSuffix("/") ? String(c.dropLast()) : c
                try PathValidation.validate(trimmed)
                chroot = trimmed
            }
        }
        var hosts: [Host] = []
        for raw in hostPart.split(separator: ",", omittingEmptySubsequences: true) {
            let item = raw.trimmingSpaces
            if item.isEmpty { continue }
            hosts.append(try Self.parseHost(item))
        }
        guard !hosts.isEmpty else {
            throw ZooKeeperError(.badArguments("no hosts in connection string \"\(string)\""))
        }
        self.init(hosts: hosts, chroot: chroot)
    }

    static func parseHost(_ item: Substring) throws -> Host {
        if item.hasPrefix("[") {
            guard let close = item.firstIndex(of: "]") else {
                throw ZooKeeperError(.badArguments("bad IPv6 address \(item)"))
            }
            let host = String(item[item.index(after: item.startIndex)..<close])
            let rest = item[item.index(after: close)...]
            if rest.isEmpty { return Host(host: host, port: defaultPort) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port) else {
                throw ZooKeeperError(.badArguments("bad port in \(item)"))
            }
            return Host(host: host, port: port)
        }
        let parts = item.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return Host(host: String(parts[0]), port: defaultPort)
        case 2:
            guard let port = Int(parts[1]), (1...65535).contains(port) else {
                throw ZooKeeperError(.badArguments("bad port in \(item)"))
            }
            return Host(host: String(parts[0]), port: port)
        default:
            throw ZooKeeperError(.badArguments("bad host \(item)"))
        }
    }

    /// The hosts in a random order (the Java client's `StaticHostProvider` shuffles once).
    public func shuffledHosts<G: RandomNumberGenerator>(using rng: inout G) -> [Host] {
        hosts.shuffled(using: &rng)
    }

    /// The server-side path for a client path.
    public func serverPath(_ clientPath: String) -> String {
        guard let chroot else { return clientPath }
        return clientPath == "/" ? chroot : chroot + clientPath
    }

    /// The client-side path for a server path (the chroot stripped).
    public func clientPath(_ serverPath: String) -> String {
        guard let chroot else { return serverPath }
        guard serverPath.hasPrefix(chroot) else { return serverPath }
        let rest = serverPath.dropFirst(chroot.count)
        if rest.isEmpty { return "/" }
        return rest.hasPrefix("/") ? String(rest) : serverPath
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}

/// ZooKeeper's `PathUtils.validatePath` rules, applied before sending.
public enum PathValidation {
    public static func validate(_ path: String, sequential: Bool = false) throws {
        func bad(_ reason: String) -> ZooKeeperError {
            ZooKeeperError(.badArguments("Invalid path string \"\(path)\" caused by \(reason)"))
        }
        guard !path.isEmpty else { throw ZooKeeperError(.badArguments("Path length must be > 0")) }
        guard path.hasPrefix("/") else { throw ZooKeeperError(.badArguments("Path must start with / character")) }
        if path == "/" { return }
        if path.hasSuffix("/"), !sequential { throw ZooKeeperError(.badArguments("Path must not end with / character")) }
        let scalars = Array(path.unicodeScalars)
        var previous: Unicode.Scalar = "/"
        for i in 1..<scalars.count {
            let c = scalars[i]
            if c == "\0" { throw bad("null character not allowed @\(i)") }
            if c == "/" && previous == "/" { throw bad("empty node name specified @\(i)") }
            if c == "." && previous == "." {
                let before = i >= 2 ? scalars[i - 2] : "/"
                if before == "/" && (i + 1 == scalars.count || scalars[i + 1] == "/") {
                    throw bad("relative paths not allowed @\(i)")
                }
            }
            if c == "." && previous == "/" && (i + 1 == scalars.count || scalars[i + 1] == "/") {
                throw bad("relative paths not allowed @\(i)")
            }
            let v = c.value
            if (v > 0 && v <= 0x1f) || (v >= 0x7f && v <= 0x9f) || (v >= 0xd800 && v <= 0xf8ff) || (v >= 0xfff0 && v <= 0xffff) {
                throw bad("invalid character @\(i)")
            }
            previous = c
        }
    }
}
