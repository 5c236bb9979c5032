import ZooKeeperWire

/// An error from a ZooKeeper operation: either a code the server answered with
/// (`NONODE`, `BADVERSION`, …) or a failure on the client's side of the connection.
///
/// Match on `code` for ZooKeeper's codes; client-side failures map onto the nearest
/// ZooKeeper code (`connectionLoss`, `sessionExpired`, `operationTimeout`) the way the
/// Java client reports them, and `kind` tells them apart.
public struct ZooKeeperError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The server answered with this code.
        case server(ErrorCode)
        /// The connection broke before the reply arrived; the request may or may not have been applied.
        case connectionLoss
        /// The session is gone: ephemerals are deleted and watches are lost.
        case sessionExpired
        /// No reply within the request timeout (the connection is kept; the late reply is dropped).
        case timeout
        /// The client was closed.
        case closed
        /// The server rejected the client's credentials; the client is unusable.
        case authFailed
        /// The server sent something this client cannot decode.
        case protocolError(String)
        /// The caller passed an invalid argument (bad path, bad connection string).
        case badArguments(String)
    }

    public var kind: Kind
    /// The path the failed operation named, if any (with the chroot removed).
    public var path: String?
    /// For a failed `multi`: every op's result (the failing op carries the code).
    public var results: [OpResult]?

    public init(_ kind: Kind, path: String? = nil, results: [OpResult]? = nil) {
        self.kind = kind
        self.path = path
        self.results = results
    }

    public init(code: ErrorCode, path: String? = nil) {
        switch code {
        case .connectionLoss: self.init(.connectionLoss, path: path)
        case .sessionExpired: self.init(.sessionExpired, path: path)
        case .authFailed: self.init(.authFailed, path: path)
        default: self.init(.server(code), path: path)
        }
    }

    /// ZooKeeper's code for this error.
    public var code: ErrorCode {
        switch kind {
        case .server(let c): c
        case .connectionLoss: .connectionLoss
        case .sessionExpired: .sessionExpired
        case .timeout: .requestTimeout
        case .closed: .connectionLoss
        case .authFailed: .authFailed
        case .protocolError: .marshallingError
        case .badArguments: .badArguments
        }
    }

    /// Whether retrying an idempotent operation may succeed.
    public var isRetryable: Bool {
        switch kind {
        case .connectionLoss, .timeout: true
        case .server(let c): c == .operationTimeout || c == .throttledOp || c == .requestTimeout
        default: false
        }
    }

    /// The Java client's `KeeperException.getMessage()` text, e.g. `KeeperErrorCode = NoNode for /a`.
    public var description: String {
        let base: String
        switch kind {
        case .closed: base = "client closed"
        case .timeout: base = "KeeperErrorCode = RequestTimeout"
        case .protocolError(let m): base = "protocol error: \(m)"
        case .badArguments(let m): base = "KeeperErrorCode = BadArguments: \(m)"
        default: base = "KeeperErrorCode = \(code.javaName)"
        }
        if let path { return "\(base) for \(path)" }
        return base
    }

    public static let connectionLoss = ZooKeeperError(.connectionLoss)
    public static let sessionExpired = ZooKeeperError(.sessionExpired)
    public static let closed = ZooKeeperError(.closed)
    public static let timeout = ZooKeeperError(.timeout)
}

extension ErrorCode {
    /// The Java enum-constant spelling used in `KeeperException` messages (`NoNode`, `BadVersion`).
    public var javaName: String {
        switch self {
        case .ok: "ok"
        case .systemError: "SystemError"
        case .runtimeInconsistency: "RuntimeInconsistency"
        case .dataInconsistency: "DataInconsistency"
        case .connectionLoss: "ConnectionLoss"
        case .marshallingError: "MarshallingError"
        case .unimplemented: "Unimplemented"
        case .operationTimeout: "OperationTimeout"
        case .badArguments: "BadArguments"
        case .unknownSession: "UnknownSession"
        case .newConfigNoQuorum: "NewConfigNoQuorum"
        case .reconfigInProgress: "ReconfigInProgress"
        case .apiError: "APIError"
        case .noNode: "NoNode"
        case .noAuth: "NoAuth"
        case .badVersion: "BadVersion"
        case .noChildrenForEphemerals: "NoChildrenForEphemerals"
        case .nodeExists: "NodeExists"
        case .notEmpty: "Directory not empty"
        case .sessionExpired: "Session expired"
        case .invalidCallback: "Invalid callback"
        case .invalidACL: "InvalidACL"
        case .authFailed: "AuthFailed"
        case .sessionMoved: "Session moved"
        case .notReadOnly: "Not a read-only call"
        case .ephemeralOnLocalSession: "Ephemeral node on local session"
        case .noWatcher: "No such watcher"
        case .requestTimeout: "Request timeout"
        case .reconfigDisabled: "Reconfig is disabled"
        case .sessionClosedRequireSASLAuth: "Session closed because client failed to authenticate"
        case .quotaExceeded: "Quota has exceeded"
        case .throttledOp: "Op throttled due to high load"
        }
    }
}
