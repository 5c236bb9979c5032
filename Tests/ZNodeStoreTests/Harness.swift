import Testing
import ZNodeStore
import ZooKeeperWire

/// Drives a store the way the server does: each write gets the next zxid and a time.
final class Harness {
    let store: ZNodeStore
    var zxid: Int64 = 0x1_0000_0000
    var time: Int64 = 1_700_000_000_000

    init(_ config: ZNodeStoreConfig = ZNodeStoreConfig()) { store = ZNodeStore(config: config) }

    @discardableResult
    func apply(_ request: ZooKeeperRequest, session: Int64 = 1, auth: AuthContext = AuthContext()) -> ApplyResult {
        zxid += 1
        time += 1
        return store.apply(Txn(sessionId: session, zxid: zxid, time: time, kind: .request(request, auth: auth)))
    }

    func createSession(_ id: Int64, timeout: Int32 = 30_000) {
        zxid += 1
        _ = store.apply(Txn(sessionId: id, zxid: zxid, time: time, kind: .createSession(timeout: timeout)))
    }

    func closeSession(_ id: Int64) {
        zxid += 1
        _ = store.apply(Txn(sessionId: id, zxid: zxid, time: time, kind: .closeSession))
    }

    @discardableResult
    func create(_ path: String, _ data: String = "", flags: Int32 = 0, acl: [ACL] = ACL.openUnsafe,
                session: Int64 = 1, auth: AuthContext = AuthContext()) -> ApplyResult {
        apply(.create(CreateRequest(path: path, data: Array(data.utf8), acl: acl, flags: flags)), session: session, auth: auth)
    }

    @discardableResult
    func create2(_ path: String, _ data: String = "", flags: Int32 = 0, session: Int64 = 1) -> ApplyResult {
        apply(.create2(CreateRequest(path: path, data: Array(data.utf8), flags: flags)), session: session)
    }

    @discardableResult
    func setData(_ path: String, _ data: String, version: Int32 = -1, auth: AuthContext = AuthContext()) -> ApplyResult {
        apply(.setData(SetDataRequest(path: path, data: Array(data.utf8), version: version)), auth: auth)
    }

    @discardableResult
    func delete(_ path: String, version: Int32 = -1, auth: AuthContext = AuthContext()) -> ApplyResult {
        apply(.delete(PathVersionRequest(path: path, version: version)), auth: auth)
    }

    func read(_ request: ZooKeeperRequest, session: Int64 = 1, auth: AuthContext = AuthContext()) -> ApplyResult {
        store.read(request, sessionId: session, auth: auth)
    }

    func stat(_ path: String) -> Stat? {
        if case .stat(let s)? = store.read(.exists(PathWatchRequest(path: path)), sessionId: 0, auth: AuthContext()).response { return s }
        return nil
    }

    func data(_ path: String) -> String? {
        if case .getData(let d, _)? = store.read(.getData(PathWatchRequest(path: path)), sessionId: 0, auth: AuthContext(isSuper: true)).response {
            return String(decoding: d ?? [], as: UTF8.self)
        }
        return nil
    }

    func children(_ path: String) -> [String]? {
        if case .children(let c)? = store.read(.getChildren(PathWatchRequest(path: path)), sessionId: 0, auth: AuthContext(isSuper: true)).response { return c }
        return nil
    }

    func watchData(_ path: String, session: Int64) { _ = read(.getData(PathWatchRequest(path: path, watch: true)), session: session) }
    func watchExists(_ path: String, session: Int64) { _ = read(.exists(PathWatchRequest(path: path, watch: true)), session: session) }
    func watchChildren(_ path: String, session: Int64) { _ = read(.getChildren(PathWatchRequest(path: path, watch: true)), session: session) }

    /// Drained events as (session, type, path).
    func events() -> [Event] {
        store.drainNotifications().map { Event(session: $0.sessionId, type: EventType(rawValue: $0.event.type)!, path: $0.event.path) }
    }
}

struct Event: Equatable, CustomStringConvertible {
    var session: Int64
    var type: EventType
    var path: String
    init(session: Int64, type: EventType, path: String) { self.session = session; self.type = type; self.path = path }
    init(_ session: Int64, _ type: EventType, _ path: String) { self.init(session: session, type: type, path: path) }
    var description: String { "(\(session), \(type), \(path))" }
}

extension ApplyResult {
    var createdPath: String? {
        switch response {
        case .create(let p)?: return p
        case .create2(let p, _)?: return p
        default: return nil
        }
    }
    var createdStat: Stat? {
        if case .create2(_, let s)? = response { return s }
        return nil
    }
    var multiResults: [MultiResult]? {
        if case .multi(let r)? = response { return r }
        return nil
    }
}
