import Foundation
import ZooKeeperWire
import ZNodeStore

/// The checks ZooKeeper 3.8's `PrepRequestProcessor` makes on a `reconfig` request before it
/// proposes the new configuration, in its order: config version (`curConfigId`), the
/// joining/leaving/newMembers syntax, and "at least 2 voters" in the result. The ACL check on
/// `/zookeeper/config` (WRITE, super user bypasses) is made by the caller after these.
///
/// A change that adds or removes servers is executed (see `ClientConnection.handleReconfig`);
/// one that changes a server that stays (address, ports, role) is answered UNIMPLEMENTED.
struct ReconfigPlan: Equatable {
    /// The members after the change, by id.
    var members: [Int: PeerSpec]
    var version: Int64

    enum Failure: Error, Equatable {
        case badVersion(String)
        case badArguments(String)

        var code: ErrorCode {
            switch self {
            case .badVersion: .badVersion
            case .badArguments: .badArguments
            }
        }
    }

    /// The members before the change.
    var current: [Int: PeerSpec] = [:]

    /// Whether the change adds a server or changes one's address or role.
    var addsOrChanges: Bool { members.contains { current[$0.key] != $0.value } }

    /// Whether the change modifies a server that stays (address, ports or role): not
    /// supported (adding and removing servers are).
    var changesExisting: Bool { members.contains { id, spec in current[id].map { $0 != spec } ?? false } }

    /// `/zookeeper/config` data in ZooKeeper's format: `server.N=` lines by id, then `version=<hex>`.
    static func configText(_ members: [Int: PeerSpec], version: Int64) -> String {
        var lines = members.values.sorted { $0.id < $1.id }.map { s -> String in
            var line = "server.\(s.id)=\(s.host):\(s.peerPort):\(s.electionPort):\(s.role.rawValue)"
            if let port = s.clientPort { line += ";\(s.clientAddress ?? "0.0.0.0"):\(port)" }
            return line
        }
        lines.append("version=" + String(version, radix: 16))
        return lines.joined(separator: "\n")
    }

    /// Parses `/zookeeper/config` data: `server.N=...` lines and `version=<hex>`.
    static func parseConfigNode(_ text: String) -> (members: [Int: PeerSpec], version: Int64) {
        var members: [Int: PeerSpec] = [:]
        var version: Int64 = 0
        for line in text.split(whereSeparator: \.isNewline) {
            let kv = line.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { continue }
            if kv[0] == "version" {
                version = Int64(kv[1], radix: 16) ?? 0
            } else if kv[0].hasPrefix("server."),
                      let spec = try? ServerConfig.parsePeer(ServerConfig.KeyContext(file: "/zookeeper/config", line: nil, key: kv[0], value: kv[1])) {
                members[spec.id] = spec
            }
        }
        return (members, version)
    }

    /// `server.N=host:peer:election[:role][;[clientHost:]port]` (ZooKeeper also requires the client part here).
    static func parseJoiner(_ text: String) throws(Failure) -> PeerSpec {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
            String($0).trimmingCharacters(in: .whitespaces)
        }
        guard parts.count == 2 else { throw .badArguments("Wrong format of server string") }
        let key = parts[0].hasPrefix("server.") ? parts[0] : "server." + (parts[0].split(separator: ".").last.map(String.init) ?? "")
        let spec: PeerSpec
        do {
            spec = try ServerConfig.parsePeer(ServerConfig.KeyContext(file: "reconfig", line: nil, key: key, value: parts[1]))
        } catch {
            throw .badArguments("Reconfiguration failed")
        }
        guard spec.clientPort != nil else {
            throw .badArguments("Wrong format of server string - each server should have 3 ports specified")
        }
        return spec
    }

    /// Applies `request` to the current configuration (`/zookeeper/config` data).
    static func make(current text: String, request r: ReconfigRequest) throws(Failure) -> ReconfigPlan {
        let (current, version) = parseConfigNode(text)
        if r.curConfigId != -1 && r.curConfigId != version {
            throw .badVersion("Reconfiguration from version \(r.curConfigId) failed -- last seen version is \(version)")
        }
        var next: [Int: PeerSpec]
        if let members = r.newMembers {
            next = [:]
            for line in members.split(whereSeparator: { $0 == "," || $0.isNewline }) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("version=") { continue }
                let spec = try parseJoiner(trimmed)
                next[spec.id] = spec
            }
        } else {
            next = current
            for leaving in (r.leavingServers ?? "").split(separator: ",") {
                guard let id = Int(leaving.trimmingCharacters(in: .whitespaces)) else {
                    throw .badArguments("Reconfiguration failed")
                }
                next[id] = nil
            }
            for joiner in (r.joiningServers ?? "").split(separator: ",") {
                let spec = try parseJoiner(String(joiner))
                for other in next.values where other.id != spec.id {
                    if other.host == spec.host && [other.peerPort, other.electionPort].contains(where: { [spec.peerPort, spec.electionPort].contains($0) }) {
                        throw .badArguments("Reconfiguration failed")
                    }
                }
                next[spec.id] = spec
            }
        }
        if next.values.filter({ $0.role == .participant }).count < 2 {
            throw .badArguments("Reconfig failed - new configuration must include at least 2 followers")
        }
        return ReconfigPlan(members: next, version: version, current: current)
    }
}

extension ServerState {
    /// The servers in the committed `/zookeeper/config` (nil when it lists none).
    func configuredSpecs() -> [Int: PeerSpec]? {
        guard case .getData(let data, _)? = store.read(.getData(PathWatchRequest(path: "/zookeeper/config", watch: false)),
                                                       sessionId: 0, auth: AuthContext(isSuper: true)).response else { return nil }
        let members = ReconfigPlan.parseConfigNode(String(decoding: data ?? [], as: UTF8.self)).members
        return members.isEmpty ? nil : members
    }

    /// The server ids in the committed `/zookeeper/config` (nil when it lists none).
    func configuredMembers() -> Set<UInt64>? {
        configuredSpecs().map { Set($0.keys.map { UInt64($0) }) }
    }

    /// The observers among them (Raft learners).
    func configuredObservers() -> Set<UInt64> {
        Set((configuredSpecs() ?? [:]).values.filter { $0.role == .observer }.map { UInt64($0.id) })
    }
}
