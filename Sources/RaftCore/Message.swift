/// Messages exchanged between Raft nodes, plus the local messages a node steps
/// into itself (`hup`, `beat`, `propose`, ...). One struct for all, as in etcd:
/// the fields a type does not use stay at their zero value.
public enum MessageType: UInt8, Sendable, Equatable, CustomStringConvertible {
    // Local only (never sent on the wire).
    case hup, beat, checkQuorum
    // Proposals and requests that followers forward to the leader.
    case propose, readIndex, readIndexResponse, transferLeader
    // Replication.
    case append, appendResponse, heartbeat, heartbeatResponse
    case snapshotChunk, snapshotChunkResponse
    // Elections.
    case vote, voteResponse, preVote, preVoteResponse, timeoutNow

    public var description: String {
        switch self {
        case .hup: "Hup"
        case .beat: "Beat"
        case .checkQuorum: "CheckQuorum"
        case .propose: "Prop"
        case .readIndex: "ReadIndex"
        case .readIndexResponse: "ReadIndexResp"
        case .transferLeader: "TransferLeader"
        case .append: "App"
        case .appendResponse: "AppResp"
        case .heartbeat: "Heartbeat"
        case .heartbeatResponse: "HeartbeatResp"
        case .snapshotChunk: "Snap"
        case .snapshotChunkResponse: "SnapResp"
        case .vote: "Vote"
        case .voteResponse: "VoteResp"
        case .preVote: "PreVote"
        case .preVoteResponse: "PreVoteResp"
        case .timeoutNow: "TimeoutNow"
        }
    }

    var isLocal: Bool { self == .hup || self == .beat || self == .checkQuorum }

    var isResponse: Bool {
        switch self {
        case .appendResponse, .voteResponse, .preVoteResponse, .heartbeatResponse,
             .snapshotChunkResponse, .readIndexResponse:
            true
        default: false
        }
    }
}

/// One piece of a snapshot sent by InstallSnapshot. The follower assembles chunks
/// in order; `offset` is the byte offset of `data` in the whole snapshot.
public struct SnapshotChunk: Sendable, Equatable {
    public var metadata: SnapshotMetadata
    public var offset: UInt64
    public var totalSize: UInt64
    public var data: [UInt8]

    public var isLast: Bool { offset + UInt64(data.count) >= totalSize }

    public init(metadata: SnapshotMetadata, offset: UInt64, totalSize: UInt64, data: [UInt8]) {
        self.metadata = metadata
        self.offset = offset
        self.totalSize = totalSize
        self.data = data
    }
}

public struct Message: Sendable, Equatable, CustomStringConvertible {
    public var type: MessageType
    public var to: NodeID
    public var from: NodeID
    public var term: UInt64
    /// Append: term of the entry at `index`. Vote: term of the candidate's last entry.
    /// Rejected AppendResponse: term of the entry at `rejectHint` on the follower.
    public var logTerm: UInt64
    /// Append: index preceding `entries`. Vote: candidate's last index.
    /// AppendResponse: last index matched (or the rejected index). Snapshot response: snapshot index.
    public var index: UInt64
    public var entries: [Entry]
    public var commit: UInt64
    public var reject: Bool
    /// Rejected AppendResponse: the follower's guess of the last index that may match.
    /// Snapshot response: the number of snapshot bytes received so far.
    public var rejectHint: UInt64
    public var snapshot: SnapshotChunk?
    /// Opaque context (ReadIndex request id; `campaignTransfer` for forced elections).
    public var context: [UInt8]

    public init(
        type: MessageType, to: NodeID = noneNode, from: NodeID = noneNode, term: UInt64 = 0,
        logTerm: UInt64 = 0, index: UInt64 = 0, entries: [Entry] = [], commit: UInt64 = 0,
        reject: Bool = false, rejectHint: UInt64 = 0, snapshot: SnapshotChunk? = nil, context: [UInt8] = []
    ) {
        self.type = type
        self.to = to
        self.from = from
        self.term = term
        self.logTerm = logTerm
        self.index = index
        self.entries = entries
        self.commit = commit
        self.reject = reject
        self.rejectHint = rejectHint
        self.snapshot = snapshot
        self.context = context
    }

    public var description: String {
        var s = "\(from)->\(to) \(type) t\(term)"
        switch type {
        case .append:
            s += " prev=\(index)/\(logTerm) commit=\(commit)"
            if !entries.isEmpty {
                s += " ents=[\(entries.first!.index)..\(entries.last!.index)]"
            }
        case .appendResponse:
            s += reject ? " REJECT idx=\(index) hint=\(rejectHint)/\(logTerm)" : " idx=\(index)"
        case .vote, .preVote:
            s += " last=\(index)/\(logTerm)"
            if !context.isEmpty { s += " (transfer)" }
        case .voteResponse, .preVoteResponse:
            s += reject ? " REJECT" : " GRANT"
        case .heartbeat:
            s += " commit=\(commit)"
        case .snapshotChunk:
            if let c = snapshot {
                s += " snap=\(c.metadata.index)/\(c.metadata.term) off=\(c.offset) len=\(c.data.count)/\(c.totalSize)"
            }
        case .snapshotChunkResponse:
            s += " snap=\(index) have=\(rejectHint)\(reject ? " REJECT" : "")"
        case .readIndexResponse:
            s += " idx=\(index)"
        default: break
        }
        return s
    }
}

/// Context marking a vote request caused by leadership transfer; it bypasses the
/// check-quorum lease on voters.
let campaignTransferContext: [UInt8] = Array("transfer".utf8)
