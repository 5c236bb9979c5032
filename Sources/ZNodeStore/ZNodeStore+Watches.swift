import ZooKeeperWire

/// Watch registration outside reads (`DataTree.addWatch`, `removeWatch`,
/// `containsWatcher`, `setWatches`) and the 4lw views.
extension ZNodeStore {
    /// addWatch: a persistent or persistent-recursive watch in both tables. ZooKeeper 3.8
    /// neither validates the path nor checks ACLs here.
    public func addWatch(path: String, mode: AddWatchMode, sessionId: Int64) -> ErrorCode {
        let m: WatchMode = mode == .persistent ? .persistent : .persistentRecursive
        dataWatches.add(path, session: sessionId, mode: m)
        childWatches.add(path, session: sessionId, mode: m)
        return .ok
    }

    /// removeWatches: NOWATCHER when nothing was removed. Like ZooKeeper 3.8 the server
    /// queues no event: clients synthesise their own *WatchRemoved notification.
    public func removeWatches(path: String, type: WatcherType, sessionId: Int64) -> ErrorCode {
        var removed = false
        switch type {
        case .children: removed = childWatches.remove(path, session: sessionId)
        case .data: removed = dataWatches.remove(path, session: sessionId)
        case .any:
            let c = childWatches.remove(path, session: sessionId)
            let d = dataWatches.remove(path, session: sessionId)
            removed = c || d
        }
        return removed ? .ok : .noWatcher
    }

    /// ZooKeeper 3.8's checkWatches answers Ok when *any* session holds a watch of that type
    /// on the path (its `DataTree.containsWatcher` is called without the caller's watcher
    /// on the server side); removeWatches, unlike it, acts on the caller's own watches only.
    public func checkWatches(path: String, type: WatcherType, sessionId: Int64) -> ErrorCode {
        let found: Bool
        switch type {
        case .children: found = childWatches.containsAny(path)
        case .data: found = dataWatches.containsAny(path)
        case .any: found = childWatches.containsAny(path) || dataWatches.containsAny(path)
        }
        return found ? .ok : .noWatcher
    }

    /// setWatches / setWatches2 after a reconnect (`DataTree.setWatches`): events the
    /// client missed since `relativeZxid` are queued at once (NodeDeleted for a vanished
    /// node, NodeDataChanged if mzxid moved, NodeCreated for an exist-watch on a node that
    /// exists, NodeChildrenChanged if pzxid moved); the other watches are registered.
    public func setWatches(_ req: SetWatchesRequest, sessionId: Int64) {
        func fire(_ type: EventType, _ path: String) {
            notifications.append((sessionId: sessionId, event: WatcherEvent(type: type, state: .syncConnected, path: path)))
        }
        for path in req.dataWatches {
            if let n = node(at: path) {
                if n.mzxid > req.relativeZxid { fire(.nodeDataChanged, path) } else { dataWatches.add(path, session: sessionId, mode: .standard) }
            } else {
                fire(.nodeDeleted, path)
            }
        }
        for path in req.existWatches {
            if node(at: path) != nil { fire(.nodeCreated, path) } else { dataWatches.add(path, session: sessionId, mode: .standard) }
        }
        for path in req.childWatches {
            if let n = node(at: path) {
                if n.pzxid > req.relativeZxid { fire(.nodeChildrenChanged, path) } else { childWatches.add(path, session: sessionId, mode: .standard) }
            } else {
                fire(.nodeDeleted, path)
            }
        }
        for path in req.persistentWatches {
            childWatches.add(path, session: sessionId, mode: .persistent)
            dataWatches.add(path, session: sessionId, mode: .persistent)
        }
        for path in req.persistentRecursiveWatches {
            childWatches.add(path, session: sessionId, mode: .persistentRecursive)
            dataWatches.add(path, session: sessionId, mode: .persistentRecursive)
        }
    }

    /// A connection/session went away from this server: drop all its watches.
    public func removeAllWatches(sessionId: Int64) {
        dataWatches.removeSession(sessionId)
        childWatches.removeSession(sessionId)
        sessionAuth[sessionId] = nil
    }

    /// The connection's current auth (ip id, addauth ids), used to withhold watch events
    /// for nodes the session may not READ. Call on connect and after every addauth; `read`
    /// also records the auth it is given. Sessions with no recorded auth get every event.
    public func setSessionAuth(_ auth: AuthContext, sessionId: Int64) {
        sessionAuth[sessionId] = auth
    }

    /// ZooKeeper's `getWatchCount()`: data watches + child watches.
    public var watchCount: Int { dataWatches.count + childWatches.count }

    /// For 4lw wchc: paths each session watches (data or child), sorted.
    public func watchesBySession() -> [Int64: [String]] {
        var out: [Int64: Set<String>] = [:]
        for wm in [dataWatches, childWatches] {
            for (s, paths) in wm.pathsBySession { out[s, default: []].formUnion(paths) }
        }
        return out.mapValues { sortedPaths($0) }
    }

    /// For 4lw wchp: sessions watching each path, sorted.
    public func watchesByPath() -> [String: [Int64]] {
        var out: [String: Set<Int64>] = [:]
        for wm in [dataWatches, childWatches] {
            for (p, sessions) in wm.table { out[p, default: []].formUnion(sessions.keys) }
        }
        return out.mapValues { $0.sorted() }
    }
}

extension ZNodeStore {
    /// Containers that are empty and had a child (or were never used for longer than
    /// `containerMaxNeverUsedIntervalMs`), and TTL nodes that are childless and unmodified
    /// for longer than their TTL at `now` (`ContainerManager.getCandidates`). Sorted.
    public func reapCandidates(now: Int64) -> [String] {
        var out: [String] = []
        for path in containers {
            guard let n = node(at: path), n.children.isEmpty else { continue }
            if n.cversion > 0 {
                out.append(path)
            } else if config.containerMaxNeverUsedIntervalMs != 0 && now - n.mtime > config.containerMaxNeverUsedIntervalMs {
                out.append(path)
            }
        }
        for path in ttls {
            guard let n = node(at: path), n.children.isEmpty, kind(of: n) == .ttl else { continue }
            let ttl = EphemeralKind.ttlValue(n.ephemeralOwner)
            if ttl != 0 && now - n.mtime > ttl { out.append(path) }
        }
        return out.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
