/// One `server.N=host:peerPort:electionPort[:participant|:observer][;[clientAddress:]clientPort]` line.
public struct PeerSpec: Sendable, Hashable {
    public enum Role: String, Sendable { case participant, observer }
    public var id: Int
    public var host: String
    public var peerPort: Int
    public var electionPort: Int
    public var role: Role
    public var clientAddress: String?
    public var clientPort: Int?
}

/// Everything zk-server reads from zoo.cfg, `-D` flags and `myid`.
public struct ServerConfig: Sendable {
    public var configPath: String = "(defaults)"
    public var clientPort: Int = 2181
    public var clientPortAddress: String = "0.0.0.0"
    public var dataDir: String = "/tmp/zookeeper"
    public var dataLogDir: String?
    public var tickTime: Int = 3000
    public var initLimit: Int = 10
    public var syncLimit: Int = 5
    public var maxClientCnxns: Int = 60
    public var minSessionTimeoutSetting: Int = -1
    public var maxSessionTimeoutSetting: Int = -1
    /// nil = unset (ZooKeeper's default: only `srvr`).
    public var fourLetterWordWhitelist: Set<String>?
    public var extendedTypesEnabled: Bool = false
    public var standaloneEnabled: Bool = true
    public var reconfigEnabled: Bool = false
    public var adminEnableServer: Bool = true
    public var adminServerAddress: String = "0.0.0.0"
    public var adminServerPort: Int = 8080
    public var adminCommandURL: String = "/commands"
    public var servers: [PeerSpec] = []
    public var juteMaxBuffer: Int = 1_048_575
    public var forceSync: Bool = true
    public var snapCount: Int = 100_000
    public var autopurgeSnapRetainCount: Int = 3
    public var autopurgeInterval: Int = 0
    public var globalOutstandingLimit: Int = 1000
    public var clientPortListenBacklog: Int = -1
    public var superDigest: String?
    public var containerCheckIntervalMs: Int = 60_000
    public var readOnlyModeEnabled: Bool = false
    public var metricsHTTPPort: Int?
    /// The server id from `dataDir/myid` (0 when standalone without one).
    public var serverId: Int = 0
    public var warnings: [ConfigWarning] = []

    public init() {}

    /// The high byte of session ids: the server id, or 1 for a standalone server as
    /// ZooKeeper's standalone `SessionTrackerImpl` uses.
    public var sessionIdServerByte: Int { servers.count > 1 ? serverId : 1 }

    public var minSessionTimeout: Int { minSessionTimeoutSetting < 0 ? tickTime * 2 : minSessionTimeoutSetting }
    public var maxSessionTimeout: Int { maxSessionTimeoutSetting < 0 ? tickTime * 20 : maxSessionTimeoutSetting }
    public var effectiveDataLogDir: String { dataLogDir ?? dataDir }

    /// Whether a four-letter word may run (ZooKeeper's `FourLetterCommands.isEnabled`).
    /// `srvr` is always enabled, whatever the whitelist says (as in ZooKeeper 3.8).
    public func isFourLetterWordEnabled(_ word: String) -> Bool {
        if word == "srvr" { return true }
        guard let list = fourLetterWordWhitelist else { return false }
        return list.contains("*") || list.contains(word)
    }

    /// The 4lw names ZooKeeper 3.8 knows, for expanding `*`.
    public static let allFourLetterWords: [String] = [
        "ruok", "srvr", "stat", "mntr", "conf", "cons", "crst", "srst", "envi", "wchs", "wchc", "wchp",
        "dump", "isro", "dirs", "gtmk", "stmk", "hash", "lgif", "csnp", "rqld", "ydld",
    ]
}
