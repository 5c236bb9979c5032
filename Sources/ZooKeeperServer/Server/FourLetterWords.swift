import Foundation
import NIOCore
import RaftCore
import ZooKeeperWire

/// Tusk reports itself as a ZooKeeper 3.8 server (clients parse this to pick features),
/// with its own version after it.
public enum TuskVersion {
    public static let tusk = "0.1.0"
    public static let zookeeperCompatible = "3.8.4"
    public static let full = "\(zookeeperCompatible)-tusk-\(tusk), built on 2026-11-26 00:00 UTC"
}

extension ServerState {
    var modeName: String {
        guard config.servers.count > 1 else { return "standalone" }
        if config.servers.first(where: { $0.id == config.serverId })?.role == .observer { return "observer" }
        return role == .leader ? "leader" : "follower"
    }

    func hex(_ v: Int64) -> String { "0x" + String(UInt64(bitPattern: v), radix: 16) }

    /// The text of a four-letter word, formatted as ZooKeeper 3.8 formats it.
    func fourLetterWord(_ word: String, asking: ClientConnection) -> String {
        switch word {
        case "ruok": return "imok"
        case "srvr": return serverSummary(withClients: false)
        case "stat": return serverSummary(withClients: true)
        case "mntr": return monitor()
        case "conf": return configurationText()
        case "cons": return allConnections.map { $0.consLine(full: true) }.joined() + "\n"
        case "crst":
            for c in allConnections { c.resetStats() }
            return "Connection stats reset.\n"
        case "srst":
            stats.reset()
            return "Server stats reset.\n"
        case "envi": return environment()
        case "wchs":
            let bySession = store.watchesBySession()
            let paths = store.watchesByPath()
            return "\(bySession.count) connections watching \(paths.count) paths\nTotal watches:\(store.watchCount)\n"
        case "wchc":
            return store.watchesBySession().sorted { $0.key < $1.key }.map { sid, paths in
                hex(sid) + "\n" + paths.sorted().map { "\t\($0)\n" }.joined()
            }.joined() + "\n"
        case "wchp":
            return store.watchesByPath().sorted { $0.key < $1.key }.map { path, sids in
                path + "\n" + sids.sorted().map { "\t\(hex($0))\n" }.joined()
            }.joined()
        case "dump": return dump()
        case "isro": return "rw"
        case "dirs": return "datadir_size: \(directorySize(config.dataDir))\nlogdir_size: \(directorySize(config.effectiveDataLogDir))\n"
        case "hash": return "digest not enabled\n"
        case "lgif": return logInfo()
        case "csnp":
            guard let raft else { return "Snapshots are not available.\n" }
            let index = raft.takeSnapshot()
            return "Snapshot creation scheduled with last committed log index \(index).\n"
        case "rqld":
            guard let raft else { return "Failed to request leadership.\n" }
            raft.requestLeadership()
            return "Sent leadership request to leader.\n"
        case "ydld":
            guard let raft, raft.yieldLeadership() else { return "Failed to yield leadership: not the leader or no follower.\n" }
            return "Sent yield leadership request to leader.\n"
        default: return "\(word) is not supported by this server.\n"
        }
    }

    private func serverSummary(withClients: Bool) -> String {
        var s = "Zookeeper version: \(TuskVersion.full)\n"
        if withClients {
            s += "Clients:\n" + allConnections.map { $0.consLine(full: false) }.joined() + "\n"
        }
        s += "Latency min/avg/max: \(stats.latency.minValue)/\(stats.latency.averageText)/\(stats.latency.max)\n"
        s += "Received: \(stats.packetsReceived)\n"
        s += "Sent: \(stats.packetsSent)\n"
        s += "Connections: \(allConnections.count)\n"
        s += "Outstanding: \(outstandingRequests)\n"
        s += "Zxid: \(hex(store.lastZxid))\n"
        s += "Mode: \(modeName)\n"
        s += "Node count: \(store.zooKeeperNodeCount)\n"
        return s
    }

    private func monitor() -> String {
        let rows: [(String, String)] = [
            ("zk_version", TuskVersion.full),
            ("zk_server_state", modeName),
            ("zk_avg_latency", stats.latency.averageText),
            ("zk_max_latency", "\(stats.latency.max)"),
            ("zk_min_latency", "\(stats.latency.minValue)"),
            ("zk_packets_received", "\(stats.packetsReceived)"),
            ("zk_packets_sent", "\(stats.packetsSent)"),
            ("zk_num_alive_connections", "\(allConnections.count)"),
            ("zk_outstanding_requests", "\(outstandingRequests)"),
            ("zk_znode_count", "\(store.zooKeeperNodeCount)"),
            ("zk_watch_count", "\(store.watchCount)"),
            ("zk_ephemerals_count", "\(store.ephemeralCount())"),
            ("zk_approximate_data_size", "\(store.approximateDataSize)"),
            ("zk_open_file_descriptor_count", "\(openFileDescriptorCount())"),
            ("zk_max_file_descriptor_count", "\(maxFileDescriptorCount())"),
            ("zk_global_sessions", "\(liveSessionCount)"),
            ("zk_pending_proposals", "\(raft?.pendingProposals ?? 0)"),
            ("zk_uptime", "\(clock() - stats.startedAtMillis)"),
        ]
        var all = rows
        if role == .leader, config.servers.count > 1, let raft {
            let progress = raft.followerProgress.filter { $0.id != UInt64(config.serverId) }
            let synced = progress.filter { $0.match >= raft.status.commit }.count
            all += [("zk_followers", "\(progress.count)"), ("zk_synced_followers", "\(synced)"),
                    ("zk_pending_syncs", "\(progress.count - synced)")]
        }
        return all.map { "\($0.0)\t\($0.1)\n" }.joined()
    }

    /// `lgif`, as ClickHouse Keeper names it: the Raft log's bounds and progress.
    private func logInfo() -> String {
        guard let raft else { return "" }
        let st = raft.status
        let rows: [(String, String)] = [
            ("first_log_idx", "\(raft.firstIndex)"),
            ("first_log_term", "\(raft.term(at: raft.firstIndex))"),
            ("last_log_idx", "\(raft.lastIndex)"),
            ("last_log_term", "\(raft.term(at: raft.lastIndex))"),
            ("last_committed_log_idx", "\(st.commit)"),
            ("last_applied_log_idx", "\(raft.appliedIndex)"),
            ("last_snapshot_idx", "\(raft.snapshotIndex)"),
            ("term", "\(st.term)"),
            ("leader", "\(st.leader)"),
        ]
        return rows.map { "\($0.0)\t\($0.1)\n" }.joined()
    }

    private func configurationText() -> String {
        var lines = [
            "clientPort=\(config.clientPort)",
            "secureClientPort=-1",
            "dataDir=\(config.dataDir)/version-2",
            "dataDirSize=\(directorySize(config.dataDir))",
            "dataLogDir=\(config.effectiveDataLogDir)/version-2",
            "dataLogSize=\(directorySize(config.effectiveDataLogDir))",
            "tickTime=\(config.tickTime)",
            "maxClientCnxns=\(config.maxClientCnxns)",
            "minSessionTimeout=\(config.minSessionTimeout)",
            "maxSessionTimeout=\(config.maxSessionTimeout)",
            "clientPortListenBacklog=\(config.clientPortListenBacklog)",
            "serverId=\(config.serverId)",
        ]
        if config.servers.count > 1 {
            lines += ["initLimit=\(config.initLimit)", "syncLimit=\(config.syncLimit)", "electionAlg=3", "electionPort=-1", "quorumPort=-1", "peerType=0"]
            for s in config.servers {
                lines.append("server.\(s.id)=\(s.host):\(s.peerPort):\(s.electionPort):\(s.role.rawValue)")
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    private func environment() -> String {
        let info = ProcessInfo.processInfo
        let rows: [(String, String)] = [
            ("zookeeper.version", TuskVersion.full),
            ("host.name", info.hostName),
            ("java.version", "n/a (Tusk is written in Swift)"),
            ("java.vendor", "n/a"),
            ("java.home", "n/a"),
            ("java.class.path", "n/a"),
            ("java.library.path", "n/a"),
            ("java.io.tmpdir", NSTemporaryDirectory()),
            ("java.compiler", "<NA>"),
            ("os.name", "Linux"),
            ("os.arch", "x86_64"),
            ("os.version", info.operatingSystemVersionString),
            ("user.name", info.userName),
            ("user.home", NSHomeDirectory()),
            ("user.dir", FileManager.default.currentDirectoryPath),
            ("os.memory.free", "\(info.physicalMemory / 1_048_576)MB"),
            ("tusk.version", TuskVersion.tusk),
        ]
        return "Environment:\n" + rows.map { "\($0.0)=\($0.1)\n" }.joined()
    }

    private func dump() -> String {
        var s = "SessionTracker dump:\nGlobal Sessions(\(liveSessionCount)):\n"
        for (sid, timeout) in sessionTimeouts.sorted(by: { $0.key < $1.key }) {
            s += "\(hex(sid))\t\(timeout)ms\n"
        }
        let withEphemerals = store.sessions.filter { !$0.value.ephemeralPaths.isEmpty }
        s += "ephemeral nodes dump:\nSessions with Ephemerals (\(withEphemerals.count)):\n"
        for (sid, info) in withEphemerals.sorted(by: { $0.key < $1.key }) {
            s += "\(hex(sid)):\n" + info.ephemeralPaths.map { "\t\($0)\n" }.joined()
        }
        s += "Connections dump:\nConnections Sets (\(allConnections.count)):\n"
        for c in allConnections {
            if let sid = c.sessionId { s += "\(hex(sid))\n" }
        }
        return s
    }

    private func directorySize(_ path: String) -> Int64 {
        guard let e = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total: Int64 = 0
        while let f = e.nextObject() as? String {
            let attrs = try? FileManager.default.attributesOfItem(atPath: path + "/" + f)
            total += (attrs?[.size] as? NSNumber)?.int64Value ?? 0
        }
        return total
    }

    private func openFileDescriptorCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }

    private func maxFileDescriptorCount() -> Int {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return Int(limit.rlim_cur)
    }
}

extension ClientConnection {
    /// One line of `cons` / `stat`, in ZooKeeper's format.
    func consLine(full: Bool) -> String {
        var s = " /\(remoteDescription)[1](queued=\(outstanding),recved=\(packetsReceived),sent=\(packetsSent)"
        if full {
            if let sid = sessionId {
                s += ",sid=\(state.hex(sid)),lop=\(lastOp),est=\(establishedAt),to=\(sessionTimeout)"
                s += ",lcxid=\(state.hex(Int64(lastCxid))),lzxid=\(state.hex(lastZxid)),lresp=\(lastResponseAt)"
                s += ",llat=0,minlat=\(latency.minValue),avglat=\(Int64(latency.average)),maxlat=\(latency.max)"
            }
        }
        return s + ")\n"
    }

    func resetStats() {
        packetsReceived = 0
        packetsSent = 0
        latency = LatencyStats()
        lastOp = "NA"
        lastCxid = 0
        lastZxid = -1
        lastResponseAt = 0
    }
}
