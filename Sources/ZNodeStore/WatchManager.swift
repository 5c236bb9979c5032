import ZooKeeperWire

/// How a watch was registered (ZooKeeper's `WatcherMode`).
enum WatchMode: UInt8 {
    case standard, persistent, persistentRecursive
    var isPersistent: Bool { self != .standard }
}

/// One of ZooKeeper's two watch tables (data or child), keyed by path then session.
/// A (path, session) pair has one mode; registering again overwrites it, as
/// `WatcherModeManager.setWatcherMode` does.
struct WatchManager {
    private(set) var table: [String: [Int64: WatchMode]] = [:]
    private(set) var pathsBySession: [Int64: Set<String>] = [:]
    private var recursiveCount = 0

    var count: Int { pathsBySession.values.reduce(0) { $0 + $1.count } }
    var isEmpty: Bool { table.isEmpty }

    mutating func add(_ path: String, session: Int64, mode: WatchMode) {
        let old = table[path, default: [:]].updateValue(mode, forKey: session)
        if old == .persistentRecursive { recursiveCount -= 1 }
        if mode == .persistentRecursive { recursiveCount += 1 }
        pathsBySession[session, default: []].insert(path)
    }

    func contains(_ path: String, session: Int64) -> Bool { table[path]?[session] != nil }
    /// Whether any session watches `path`.
    func containsAny(_ path: String) -> Bool { !(table[path]?.isEmpty ?? true) }

    @discardableResult
    mutating func remove(_ path: String, session: Int64) -> Bool {
        guard let old = table[path]?.removeValue(forKey: session) else { return false }
        if old == .persistentRecursive { recursiveCount -= 1 }
        if table[path]?.isEmpty == true { table[path] = nil }
        pathsBySession[session]?.remove(path)
        if pathsBySession[session]?.isEmpty == true { pathsBySession[session] = nil }
        return true
    }

    mutating func removeSession(_ session: Int64) {
        guard let paths = pathsBySession[session] else { return }
        for p in paths { remove(p, session: session) }
        pathsBySession[session] = nil
    }

    /// `WatchManager.triggerWatch`: the sessions watching `path` (and, for recursive
    /// watches, any ancestor), removing one-shot watches that fire. Returns every
    /// matched session; the caller skips those in its suppress set.
    mutating func trigger(_ path: String, _ type: EventType) -> Set<Int64> {
        var matched: Set<Int64> = []
        var local = path
        var atParent = false
        while !local.isEmpty {
            if var watchers = table[local] {
                for (session, mode) in watchers {
                    if mode == .persistentRecursive {
                        if type != .nodeChildrenChanged { matched.insert(session) }
                    } else if !atParent {
                        matched.insert(session)
                        if !mode.isPersistent {
                            watchers[session] = nil
                            pathsBySession[session]?.remove(local)
                            if pathsBySession[session]?.isEmpty == true { pathsBySession[session] = nil }
                        }
                    }
                }
                table[local] = watchers.isEmpty ? nil : watchers
            }
            if recursiveCount == 0 { break }
            atParent = true
            if local == "/" {
                local = ""
            } else {
                local = PathUtils.parentForWatch(local)
            }
        }
        return matched
    }
}
