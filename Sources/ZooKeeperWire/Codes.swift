/// Request opcodes, as in ZooKeeper's `ZooDefs.OpCode`.
public enum OpCode: Int32, Sendable, CaseIterable {
    case notification = 0
    case create = 1
    case delete = 2
    case exists = 3
    case getData = 4
    case setData = 5
    case getACL = 6
    case setACL = 7
    case getChildren = 8
    case sync = 9
    case ping = 11
    case getChildren2 = 12
    case check = 13
    case multi = 14
    case create2 = 15
    case reconfig = 16
    case checkWatches = 17
    case removeWatches = 18
    case createContainer = 19
    case deleteContainer = 20
    case createTTL = 21
    case multiRead = 22
    case auth = 100
    case setWatches = 101
    case sasl = 102
    case getEphemerals = 103
    case getAllChildrenNumber = 104
    case setWatches2 = 105
    case addWatch = 106
    case whoAmI = 107
    case createSession = -10
    case closeSession = -11
    case error = -1

    /// The name ZooKeeper's `Request.op2String` uses (shown by 4lw `cons`).
    public var name: String {
        switch self {
        case .notification: "notification"
        case .create: "create"
        case .delete: "delete"
        case .exists: "exists"
        case .getData: "getData"
        case .setData: "setData"
        case .getACL: "getACL"
        case .setACL: "setACL"
        case .getChildren: "getChildren"
        case .sync: "sync"
        case .ping: "ping"
        case .getChildren2: "getChildren2"
        case .check: "check"
        case .multi: "multi"
        case .create2: "create2"
        case .reconfig: "reconfig"
        case .checkWatches: "checkWatches"
        case .removeWatches: "removeWatches"
        case .createContainer: "createContainer"
        case .deleteContainer: "deleteContainer"
        case .createTTL: "createTtl"
        case .multiRead: "multiRead"
        case .auth: "auth"
        case .setWatches: "setWatches"
        case .sasl: "sasl"
        case .getEphemerals: "getEphemerals"
        case .getAllChildrenNumber: "getAllChildrenNumber"
        case .setWatches2: "setWatches2"
        case .addWatch: "addWatch"
        case .whoAmI: "whoAmI"
        case .createSession: "createSession"
        case .closeSession: "closeSession"
        case .error: "error"
        }
    }
}

/// Special xids, as in ZooKeeper's `ClientCnxn`.
public enum SpecialXid {
    public static let notification: Int32 = -1
    public static let ping: Int32 = -2
    public static let auth: Int32 = -4
    public static let setWatches: Int32 = -8
}

/// ZooKeeper's error codes (`KeeperException.Code`).
public enum ErrorCode: Int32, Error, Sendable, CaseIterable {
    case ok = 0
    case systemError = -1
    case runtimeInconsistency = -2
    case dataInconsistency = -3
    case connectionLoss = -4
    case marshallingError = -5
    case unimplemented = -6
    case operationTimeout = -7
    case badArguments = -8
    case unknownSession = -12
    case newConfigNoQuorum = -13
    case reconfigInProgress = -14
    case apiError = -100
    case noNode = -101
    case noAuth = -102
    case badVersion = -103
    case noChildrenForEphemerals = -108
    case nodeExists = -110
    case notEmpty = -111
    case sessionExpired = -112
    case invalidCallback = -113
    case invalidACL = -114
    case authFailed = -115
    case sessionMoved = -118
    case notReadOnly = -119
    case ephemeralOnLocalSession = -120
    case noWatcher = -121
    case requestTimeout = -122
    case reconfigDisabled = -123
    case sessionClosedRequireSASLAuth = -124
    case quotaExceeded = -125
    case throttledOp = -127

    /// ZooKeeper's name for the code, e.g. `NONODE`.
    public var name: String {
        switch self {
        case .ok: "OK"
        case .systemError: "SYSTEMERROR"
        case .runtimeInconsistency: "RUNTIMEINCONSISTENCY"
        case .dataInconsistency: "DATAINCONSISTENCY"
        case .connectionLoss: "CONNECTIONLOSS"
        case .marshallingError: "MARSHALLINGERROR"
        case .unimplemented: "UNIMPLEMENTED"
        case .operationTimeout: "OPERATIONTIMEOUT"
        case .badArguments: "BADARGUMENTS"
        case .unknownSession: "UNKNOWNSESSION"
        case .newConfigNoQuorum: "NEWCONFIGNOQUORUM"
        case .reconfigInProgress: "RECONFIGINPROGRESS"
        case .apiError: "APIERROR"
        case .noNode: "NONODE"
        case .noAuth: "NOAUTH"
        case .badVersion: "BADVERSION"
        case .noChildrenForEphemerals: "NOCHILDRENFOREPHEMERALS"
        case .nodeExists: "NODEEXISTS"
        case .notEmpty: "NOTEMPTY"
        case .sessionExpired: "SESSIONEXPIRED"
        case .invalidCallback: "INVALIDCALLBACK"
        case .invalidACL: "INVALIDACL"
        case .authFailed: "AUTHFAILED"
        case .sessionMoved: "SESSIONMOVED"
        case .notReadOnly: "NOTREADONLY"
        case .ephemeralOnLocalSession: "EPHEMERALONLOCALSESSION"
        case .noWatcher: "NOWATCHER"
        case .requestTimeout: "REQUESTTIMEOUT"
        case .reconfigDisabled: "RECONFIGDISABLED"
        case .sessionClosedRequireSASLAuth: "SESSIONCLOSEDREQUIRESASLAUTH"
        case .quotaExceeded: "QUOTAEXCEEDED"
        case .throttledOp: "THROTTLEDOP"
        }
    }
}

/// `CreateMode` flags of create requests.
public enum CreateMode: Int32, Sendable, CaseIterable {
    case persistent = 0
    case ephemeral = 1
    case persistentSequential = 2
    case ephemeralSequential = 3
    case container = 4
    case persistentWithTTL = 5
    case persistentSequentialWithTTL = 6

    public var isEphemeral: Bool { self == .ephemeral || self == .ephemeralSequential }
    public var isSequential: Bool {
        self == .persistentSequential || self == .ephemeralSequential || self == .persistentSequentialWithTTL
    }
    public var isContainer: Bool { self == .container }
    public var isTTL: Bool { self == .persistentWithTTL || self == .persistentSequentialWithTTL }
}

/// `Watcher.Event.EventType`.
public enum EventType: Int32, Sendable {
    case none = -1
    case nodeCreated = 1
    case nodeDeleted = 2
    case nodeDataChanged = 3
    case nodeChildrenChanged = 4
    case dataWatchRemoved = 5
    case childWatchRemoved = 6
    case persistentWatchRemoved = 7
}

/// `Watcher.Event.KeeperState`.
public enum KeeperState: Int32, Sendable {
    case disconnected = 0
    case syncConnected = 3
    case authFailed = 4
    case connectedReadOnly = 5
    case saslAuthenticated = 6
    case expired = -112
    case closed = 7
}

/// `Watcher.WatcherType` for checkWatches / removeWatches.
public enum WatcherType: Int32, Sendable {
    case children = 1
    case data = 2
    case any = 3
}

/// `AddWatchMode` for addWatch.
public enum AddWatchMode: Int32, Sendable {
    case persistent = 0
    case persistentRecursive = 1
}

/// `ZooDefs.Perms`.
public struct Permissions: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let read = Permissions(rawValue: 1)
    public static let write = Permissions(rawValue: 2)
    public static let create = Permissions(rawValue: 4)
    public static let delete = Permissions(rawValue: 8)
    public static let admin = Permissions(rawValue: 16)
    public static let all: Permissions = [.read, .write, .create, .delete, .admin]

    /// zkCli's letters: `cdrwa`.
    public var letters: String {
        var s = ""
        if contains(.create) { s += "c" }
        if contains(.delete) { s += "d" }
        if contains(.read) { s += "r" }
        if contains(.write) { s += "w" }
        if contains(.admin) { s += "a" }
        return s
    }
}
