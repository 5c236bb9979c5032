import ZooKeeperWire

extension ZooKeeperClient {
    /// A one-shot watch stream plus what to register when the reply comes; an empty,
    /// finished stream when `enabled` is false.
    func makeWatch(_ enabled: Bool, kind: WatchRegistry.Kind, serverPath: String, registerOnNoNode: Bool) -> (PendingWatch?, Watch) {
        let (stream, continuation) = AsyncStream<WatchEvent>.makeStream()
        guard enabled else {
            continuation.finish()
            return (nil, Watch(stream: stream))
        }
        let id = WatcherID(raw: takeID())
        watchers[id] = continuation
        continuation.onTermination = { _ in Task { await self.watcherGone(id) } }
        return (PendingWatch(id: id, kind: kind, serverPath: serverPath, registerOnNoNode: registerOnNoNode), Watch(stream: stream))
    }

    private func watcherGone(_ id: WatcherID) {
        watchers[id] = nil
        persistentWatchers.remove(id)
        registry.remove(id: id)
    }

    /// `addWatch`: a persistent (optionally recursive) watch on `path`. The stream yields
    /// every event until `removeWatches(path, type: .any)`, session expiry or close.
    /// Recursive watches see create/delete/data events on `path` and all its descendants
    /// (no child events); persistent ones see every event on `path` itself.
    public func addWatch(_ path: String, mode: AddWatchMode) async throws -> AsyncStream<WatchEvent> {
        let sp = try serverPath(path)
        let (stream, continuation) = AsyncStream<WatchEvent>.makeStream()
        let id = WatcherID(raw: takeID())
        watchers[id] = continuation
        persistentWatchers.insert(id)
        continuation.onTermination = { _ in Task { await self.watcherGone(id) } }
        let kind: WatchRegistry.Kind = mode == .persistentRecursive ? .persistentRecursive : .persistent
        let pending = PendingWatch(id: id, kind: kind, serverPath: sp, registerOnNoNode: false)
        do {
            _ = try await send(.addWatch(PathTypeRequest(path: sp, type: mode.rawValue)), path: path, watch: pending)
        } catch {
            persistentWatchers.remove(id)
            throw error
        }
        return stream
    }

    /// `removeWatches`: removes this client's watches of `type` on `path`, on the server and
    /// locally. Removed one-shot watches see `DataWatchRemoved`/`ChildWatchRemoved`,
    /// persistent ones `PersistentWatchRemoved`. `local` skips the server (works offline).
    public func removeWatches(_ path: String, type: WatcherType, local: Bool = false) async throws {
        let sp = try serverPath(path)
        if !local {
            _ = try await send(.removeWatches(PathTypeRequest(path: sp, type: type.rawValue)), path: path)
        } else if !hasWatches(sp, type: type) {
            throw ZooKeeperError(code: .noWatcher, path: path)
        }
        var removed: [(WatcherID, EventType)] = []
        if type == .data || type == .any {
            removed += registry.remove(kind: .data, path: sp).map { ($0, .dataWatchRemoved) }
            removed += registry.remove(kind: .exist, path: sp).map { ($0, .dataWatchRemoved) }
        }
        if type == .children || type == .any {
            removed += registry.remove(kind: .child, path: sp).map { ($0, .childWatchRemoved) }
        }
        if type == .any {
            removed += registry.remove(kind: .persistent, path: sp).map { ($0, .persistentWatchRemoved) }
            removed += registry.remove(kind: .persistentRecursive, path: sp).map { ($0, .persistentWatchRemoved) }
        }
        for (id, eventType) in removed {
            guard let c = watchers.removeValue(forKey: id) else { continue }
            persistentWatchers.remove(id)
            c.yield(WatchEvent(type: eventType, path: path))
            c.finish()
        }
    }

    /// `checkWatches`: succeeds when the server holds a watch of `type` on `path` for this
    /// session, fails with `NOWATCHER` otherwise.
    public func checkWatches(_ path: String, type: WatcherType) async throws {
        let sp = try serverPath(path)
        _ = try await send(.checkWatches(PathTypeRequest(path: sp, type: type.rawValue)), path: path)
    }

    func hasWatches(_ sp: String, type: WatcherType) -> Bool {
        switch type {
        case .data: registry.contains(kind: .data, path: sp) || registry.contains(kind: .exist, path: sp)
        case .children: registry.contains(kind: .child, path: sp)
        case .any: WatchRegistry.Kind.allCases.contains { registry.contains(kind: $0, path: sp) }
        }
    }

    /// The paths this client watches, by kind (client paths), for `printwatches`-style listings.
    public func watchedPaths() -> [String: [String]] {
        var out: [String: [String]] = [:]
        for kind in WatchRegistry.Kind.allCases {
            let paths = (registry.watches[kind] ?? [:]).filter { !$0.value.isEmpty }.keys.map(clientPath).sorted()
            if !paths.isEmpty { out["\(kind)"] = paths }
        }
        return out
    }

    // MARK: multi

    /// Runs write ops atomically. On failure throws the first failing op's error, with every
    /// op's result in `ZooKeeperError.results`.
    @discardableResult
    public func multi(_ ops: [MultiOp]) async throws -> [OpResult] {
        let requests = try ops.map { try multiRequest($0) }
        guard case .multi(let raw) = try await send(.multi(requests), path: nil) else {
            throw ZooKeeperError(.protocolError("unexpected multi response"))
        }
        let results = raw.map(opResult)
        for (i, r) in results.enumerated() {
            if case .error(let code) = r, code != .ok, code != .runtimeInconsistency || i == results.count - 1 {
                throw ZooKeeperError(code: code, path: i < ops.count ? ops[i].path : nil).withResults(results)
            }
        }
        return results
    }

    /// Runs read ops (`.getData`, `.getChildren`) together; each succeeds or fails on its own.
    public func multiRead(_ ops: [MultiOp]) async throws -> [OpResult] {
        let requests = try ops.map { try multiRequest($0) }
        guard case .multi(let raw) = try await send(.multiRead(requests), path: nil) else {
            throw ZooKeeperError(.protocolError("unexpected multiRead response"))
        }
        return raw.map(opResult)
    }

    nonisolated func multiRequest(_ op: MultiOp) throws -> ZooKeeperRequest {
        switch op {
        case .create(let path, let data, let options):
            return try createRequest(path, data: data, options: options, withStat: false)
        case .delete(let path, let version):
            return .delete(PathVersionRequest(path: try serverPath(path), version: version))
        case .setData(let path, let data, let version):
            return .setData(SetDataRequest(path: try serverPath(path), data: data, version: version))
        case .check(let path, let version):
            return .check(PathVersionRequest(path: try serverPath(path), version: version))
        case .getData(let path):
            return .getData(PathWatchRequest(path: try serverPath(path), watch: false))
        case .getChildren(let path):
            return .getChildren(PathWatchRequest(path: try serverPath(path), watch: false))
        }
    }

    nonisolated func opResult(_ r: MultiResult) -> OpResult {
        switch r {
        case .create(let path): .created(path: clientPath(path), stat: nil)
        case .create2(let path, let stat): .created(path: clientPath(path), stat: stat)
        case .delete: .deleted
        case .setData(let stat): .setData(stat)
        case .check: .checked
        case .getData(let data, let stat): .data(data, stat)
        case .getChildren(let c): .children(c)
        case .error(let e): .error(ErrorCode(rawValue: e) ?? .systemError)
        }
    }
}

extension ZooKeeperError {
    func withResults(_ results: [OpResult]) -> ZooKeeperError {
        var copy = self
        copy.results = results
        return copy
    }
}
