import Foundation

extension ServerConfig {
    /// Keys that only configure Java internals or features Tusk does not have; accepted and
    /// reported once as ignored.
    static let ignoredKeyPrefixes = [
        "serverCnxnFactory", "authProvider.", "localSessions", "peerType", "ssl.", "secureClientPort",
        "metricsProvider.", "admin.", "electionAlg", "preAllocSize", "leaderServes", "syncEnabled",
        "quorumListenOnAllIPs", "cnxTimeout", "electionPortBindRetry", "sslQuorum", "portUnification",
        "client.", "zookeeper.", "multiAddress.", "quorum.", "skipACL", "connectToLearnerMasterLimit",
        "dynamicConfigFile", "group.", "weight.", "clientCnxnSocket", "jvm.", "audit.", "fips-mode",
        "snapSizeLimitInKb", "txnLogSizeLimitInKb", "commitLogCount", "maxCnxns",
    ]

    /// Parses a zoo.cfg file, then applies Java-style system properties (`-Dname=value`),
    /// then reads `dataDir/myid` when present.
    public static func load(path: String, systemProperties: [String: String] = [:]) throws -> ServerConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, "cannot read the file; pass the path of a zoo.cfg (e.g. conf/zoo.cfg)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, "the file is not UTF-8 text")
        }
        var config = try parse(text: text, file: path)
        try config.apply(systemProperties: systemProperties)
        try config.readMyid()
        return config
    }

    /// Parses zoo.cfg text in Java properties style (`key=value`, `#` / `!` comments).
    public static func parse(text: String, file: String) throws -> ServerConfig {
        var c = ServerConfig()
        c.configPath = file
        var seenIgnored = Set<String>()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNo = index + 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("!") { continue }
            guard let sep = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw ConfigError(file: file, line: lineNo, key: line, "expected key=value")
            }
            let key = line[..<sep].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: sep)...].trimmingCharacters(in: .whitespaces)
            let ctx = KeyContext(file: file, line: lineNo, key: key, value: value)
            if try c.set(ctx) { continue }
            if let prefix = ignoredKeyPrefixes.first(where: { key.hasPrefix($0) }) {
                if seenIgnored.insert(prefix).inserted {
                    c.warnings.append(ConfigWarning(file: file, line: lineNo, key: key, message: "accepted and ignored (configures ZooKeeper's Java internals)"))
                }
                continue
            }
            c.warnings.append(ConfigWarning(file: file, line: lineNo, key: key, message: "unknown key, ignored"))
        }
        try c.validate()
        return c
    }

    struct KeyContext {
        var file: String
        var line: Int?
        var key: String
        var value: String

        func int(min: Int = Int.min, max: Int = Int.max) throws -> Int {
            guard let v = Int(value) else {
                throw ConfigError(file: file, line: line, key: key, "'\(value)' is not an integer")
            }
            guard v >= min, v <= max else {
                throw ConfigError(file: file, line: line, key: key, "\(v) is out of range \(min)...\(max)")
            }
            return v
        }

        func bool() throws -> Bool {
            switch value.lowercased() {
            case "true", "yes": return true
            case "false", "no": return false
            default: throw ConfigError(file: file, line: line, key: key, "'\(value)' is not a boolean (true/false or yes/no)")
            }
        }

        func error(_ message: String) -> ConfigError { ConfigError(file: file, line: line, key: key, message) }
    }

    /// Applies one key; returns false when the key is not one Tusk honours.
    mutating func set(_ k: KeyContext) throws -> Bool {
        switch k.key {
        case "clientPort": clientPort = try k.int(min: 0, max: 65535)
        case "clientPortAddress": clientPortAddress = k.value
        case "dataDir": dataDir = k.value
        case "dataLogDir": dataLogDir = k.value
        case "tickTime": tickTime = try k.int(min: 1)
        case "initLimit": initLimit = try k.int(min: 1)
        case "syncLimit": syncLimit = try k.int(min: 1)
        case "maxClientCnxns": maxClientCnxns = try k.int(min: 0)
        case "minSessionTimeout": minSessionTimeoutSetting = try k.int()
        case "maxSessionTimeout": maxSessionTimeoutSetting = try k.int()
        case "4lw.commands.whitelist":
            let words = k.value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for w in words where w != "*" && !Self.allFourLetterWords.contains(w) {
                warnings.append(ConfigWarning(file: k.file, line: k.line, key: k.key, message: "unknown four-letter word '\(w)'"))
            }
            fourLetterWordWhitelist = Set(words)
        case "extendedTypesEnabled", "zookeeper.extendedTypesEnabled": extendedTypesEnabled = try k.bool()
        case "standaloneEnabled": standaloneEnabled = try k.bool()
        case "reconfigEnabled": reconfigEnabled = try k.bool()
        case "admin.enableServer", "zookeeper.admin.enableServer": adminEnableServer = try k.bool()
        case "admin.serverPort", "zookeeper.admin.serverPort": adminServerPort = try k.int(min: 0, max: 65535)
        case "admin.serverAddress", "zookeeper.admin.serverAddress": adminServerAddress = k.value
        case "admin.commandURL", "zookeeper.admin.commandURL": adminCommandURL = k.value
        case "jute.maxbuffer": juteMaxBuffer = try k.int(min: 1024)
        case "forceSync", "zookeeper.forceSync": forceSync = try k.bool()
        case "snapCount", "zookeeper.snapCount": snapCount = try k.int(min: 2)
        case "autopurge.snapRetainCount": autopurgeSnapRetainCount = try k.int(min: 3)
        case "autopurge.purgeInterval": autopurgeInterval = try k.int(min: 0)
        case "globalOutstandingLimit", "zookeeper.globalOutstandingLimit": globalOutstandingLimit = try k.int(min: 1)
        case "clientPortListenBacklog": clientPortListenBacklog = try k.int()
        case "metricsProvider.httpPort": metricsHTTPPort = try k.int(min: 0, max: 65535)
        case "zookeeper.DigestAuthenticationProvider.superDigest":
            guard k.value.contains(":") else { throw k.error("expected user:base64digest") }
            superDigest = k.value
        case "znode.container.checkIntervalMs": containerCheckIntervalMs = try k.int(min: 1)
        case "readonlymode.enabled": readOnlyModeEnabled = try k.bool()
        default:
            if k.key.hasPrefix("server.") {
                servers.append(try Self.parsePeer(k))
                return true
            }
            return false
        }
        return true
    }

    /// `server.N=host:peerPort:electionPort[:participant|:observer][;[clientAddress:]clientPort]`.
    static func parsePeer(_ k: KeyContext) throws -> PeerSpec {
        guard let id = Int(k.key.dropFirst("server.".count)), id >= 0, id <= 255 else {
            throw k.error("the server id after 'server.' must be an integer 0...255")
        }
        let halves = k.value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
        let parts = halves[0].split(separator: ":").map(String.init)
        guard parts.count == 3 || parts.count == 4 else {
            throw k.error("expected host:peerPort:electionPort[:participant|:observer][;clientPort], got '\(k.value)'")
        }
        guard let peer = Int(parts[1]), (1...65535).contains(peer), let election = Int(parts[2]), (1...65535).contains(election) else {
            throw k.error("peer and election ports must be integers 1...65535")
        }
        var role = PeerSpec.Role.participant
        if parts.count == 4 {
            guard let r = PeerSpec.Role(rawValue: parts[3]) else { throw k.error("role must be participant or observer, got '\(parts[3])'") }
            role = r
        }
        var clientAddress: String?
        var clientPort: Int?
        if halves.count == 2 {
            let client = halves[1].split(separator: ":").map(String.init)
            guard let portText = client.last, let port = Int(portText), (1...65535).contains(port), client.count <= 2 else {
                throw k.error("the client part after ';' must be [address:]port, got '\(halves[1])'")
            }
            clientPort = port
            if client.count == 2 { clientAddress = client[0] }
        }
        return PeerSpec(id: id, host: parts[0], peerPort: peer, electionPort: election, role: role,
                        clientAddress: clientAddress, clientPort: clientPort)
    }

    /// Applies `-Dname=value` system properties, as ZooKeeper reads them from the JVM.
    public mutating func apply(systemProperties: [String: String]) throws {
        for (name, value) in systemProperties.sorted(by: { $0.key < $1.key }) {
            let k = KeyContext(file: "-D\(name)", line: nil, key: name, value: value)
            let known = ["jute.maxbuffer", "zookeeper.extendedTypesEnabled", "zookeeper.DigestAuthenticationProvider.superDigest",
                         "znode.container.checkIntervalMs", "readonlymode.enabled", "zookeeper.forceSync", "zookeeper.snapCount",
                         "zookeeper.admin.enableServer", "zookeeper.admin.serverPort", "zookeeper.globalOutstandingLimit"]
            if known.contains(name) {
                _ = try set(k)
            } else {
                warnings.append(ConfigWarning(file: "-D\(name)", line: nil, key: name, message: "system property ignored"))
            }
        }
        try validate()
    }

    mutating func readMyid() throws {
        let path = (dataDir as NSString).appendingPathComponent("myid")
        guard let data = FileManager.default.contents(atPath: path) else {
            if servers.count > 1 || (!standaloneEnabled && !servers.isEmpty) {
                throw ConfigError(file: path, "missing: an ensemble member needs its server id in dataDir/myid (echo N > \(path))")
            }
            serverId = servers.first?.id ?? 0
            return
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let id = Int(text), id >= 0, id <= 255 else {
            throw ConfigError(file: path, "'\(text)' is not a server id (an integer 0...255)")
        }
        if !servers.isEmpty && !servers.contains(where: { $0.id == id }) {
            throw ConfigError(file: path, "myid \(id) has no server.\(id) line in \(configPath)")
        }
        serverId = id
    }

    func validate() throws {
        if minSessionTimeout > maxSessionTimeout {
            throw ConfigError(file: configPath, key: "minSessionTimeout",
                              "minSessionTimeout (\(minSessionTimeout)) must not be larger than maxSessionTimeout (\(maxSessionTimeout))")
        }
        var ids = Set<Int>()
        for s in servers where !ids.insert(s.id).inserted {
            throw ConfigError(file: configPath, key: "server.\(s.id)", "server id \(s.id) appears twice")
        }
    }

    /// Splits argv into `-Dname=value` properties and the rest; also reads `SERVER_JVMFLAGS`.
    public static func systemProperties(arguments: [String], environment: [String: String]) -> (properties: [String: String], rest: [String]) {
        var props: [String: String] = [:]
        var rest: [String] = []
        let fromEnv = (environment["SERVER_JVMFLAGS"] ?? "").split(separator: " ").map(String.init)
        for arg in fromEnv + arguments {
            if arg.hasPrefix("-D") {
                let body = arg.dropFirst(2)
                if let eq = body.firstIndex(of: "=") {
                    props[String(body[..<eq])] = String(body[body.index(after: eq)...])
                } else {
                    props[String(body)] = "true"
                }
            } else if fromEnv.contains(arg) && !arguments.contains(arg) {
                continue  // other JVM flags (-Xmx…) mean nothing here
            } else {
                rest.append(arg)
            }
        }
        return (props, rest)
    }
}
