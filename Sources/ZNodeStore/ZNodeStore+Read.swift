import ZooKeeperWire

/// Reads, served from the local replica (`FinalRequestProcessor`'s read cases).
extension ZNodeStore {
    /// `n`'s child names in order, cached in `n`: a write, so a snapshot walk running on
    /// another thread (which reads that cache) is kept out meanwhile.
    func sortedChildNames(of n: ZNode) -> [String] {
        guard let b = activeSnapshot else { return n.sortedChildNames }
        return b.excludingWalk { n.sortedChildNames }
    }

    /// Serves exists, getData, getChildren, getChildren2, getACL, getAllChildrenNumber,
    /// getEphemerals (for `sessionId`), multiRead and sync, registering the watch for
    /// `sessionId` when asked. Also routes checkWatches, removeWatches, addWatch and
    /// setWatches/setWatches2 to the methods of the same names. Writes answer UNIMPLEMENTED.
    public func read(_ request: ZooKeeperRequest, sessionId: Int64, auth: AuthContext) -> ApplyResult {
        sessionAuth[sessionId] = auth
        switch request {
        case .exists(let r):
            // exists checks no ACL in 3.8, only an embedded NUL; a watch is set even if missing.
            if r.path.utf8.contains(0) { return .failure(.badArguments) }
            if r.watch { dataWatches.add(r.path, session: sessionId, mode: .standard) }
            guard let n = node(at: r.path) else { return .failure(.noNode) }
            return .ok(.stat(stat(n)))
        case .getData(let r):
            switch getData(r.path, auth) {
            case .success(let (_, response)):
                if r.watch { dataWatches.add(r.path, session: sessionId, mode: .standard) }
                return .ok(response)
            case .failure(let e): return .failure(e)
            }
        case .getChildren(let r), .getChildren2(let r):
            guard let n = node(at: r.path) else { return .failure(.noNode) }
            guard ACLRules.check(acl(of: n), .read, auth) else { return .failure(.noAuth) }
            if r.watch { childWatches.add(r.path, session: sessionId, mode: .standard) }
            if case .getChildren = request { return .ok(.children(sortedChildNames(of: n))) }
            return .ok(.children2(children: sortedChildNames(of: n), stat: stat(n)))
        case .getACL(let r):
            guard let n = node(at: r.path) else { return .failure(.noNode) }
            let list = acl(of: n)
            guard ACLRules.check(list, [.read, .admin], auth) else { return .failure(.noAuth) }
            let visible = ACLRules.check(list, .admin, auth) ? list : ACLRules.redacted(list)
            return .ok(.acl(acl: visible, stat: stat(n)))
        case .getAllChildrenNumber(let r):
            guard let n = node(at: r.path) else { return .failure(.noNode) }
            guard ACLRules.check(acl(of: n), .read, auth) else { return .failure(.noAuth) }
            return .ok(.allChildrenNumber(Int32(truncatingIfNeeded: descendantCount(n))))
        case .getEphemerals(let r):
            let all = sortedPaths(ephemerals[sessionId] ?? [])
            let prefix = r.path.trimmingSpaces
            if prefix.isEmpty || prefix == "/" { return .ok(.ephemerals(all)) }
            return .ok(.ephemerals(all.filter { $0.utf8.starts(with: r.path.utf8) }))
        case .multiRead(let ops):
            var results: [MultiResult] = []
            for op in ops {
                switch op {
                case .getData(let r):
                    switch getData(r.path, auth) {
                    case .success(let (n, _)): results.append(.getData(data: n.data, stat: stat(n)))
                    case .failure(let e): results.append(.error(e.rawValue))
                    }
                case .getChildren(let r):
                    guard let n = node(at: r.path) else { results.append(.error(ErrorCode.noNode.rawValue)); continue }
                    guard ACLRules.check(acl(of: n), .read, auth) else { results.append(.error(ErrorCode.noAuth.rawValue)); continue }
                    results.append(.getChildren(sortedChildNames(of: n)))
                default:
                    return .failure(.marshallingError)
                }
            }
            return .ok(.multi(results))
        case .checkWatches(let r):
            guard let type = WatcherType(rawValue: r.type) else { return .failure(.badArguments) }
            let e = checkWatches(path: r.path, type: type, sessionId: sessionId)
            return e == .ok ? .ok(.empty) : .failure(e)
        case .sync(let r):
            return .ok(.sync(path: r.path))
        case .addWatch(let r):
            guard let mode = AddWatchMode(rawValue: r.type) else { return .failure(.badArguments) }
            _ = addWatch(path: r.path, mode: mode, sessionId: sessionId)
            // ZooKeeper answers addWatch with an ErrorResponse(0) body (4 zero bytes).
            return .ok(.empty)
        case .removeWatches(let r):
            guard let type = WatcherType(rawValue: r.type) else { return .failure(.badArguments) }
            let e = removeWatches(path: r.path, type: type, sessionId: sessionId)
            return e == .ok ? .ok(.empty) : .failure(e)
        case .setWatches(let r), .setWatches2(let r):
            setWatches(r, sessionId: sessionId)
            return .ok(.empty)
        default:
            return .failure(.unimplemented)
        }
    }

    private func getData(_ path: String, _ auth: AuthContext) -> Result<(ZNode, ZooKeeperResponse), ErrorCode> {
        guard let n = node(at: path) else { return .failure(.noNode) }
        guard ACLRules.check(acl(of: n), .read, auth) else { return .failure(.noAuth) }
        return .success((n, .getData(data: n.data, stat: stat(n))))
    }

    func descendantCount(_ n: ZNode) -> Int {
        var count = 0
        var stack = [n]
        while let top = stack.popLast() {
            count += top.children.count
            stack.append(contentsOf: top.children.values)
        }
        return count
    }
}

extension String {
    /// Java's `trim()`: strips characters <= U+0020 at both ends.
    var trimmingSpaces: Substring {
        let s = self[...]
        guard let start = s.unicodeScalars.firstIndex(where: { $0.value > 0x20 }) else { return "" }
        let end = s.unicodeScalars.lastIndex(where: { $0.value > 0x20 })!
        return s[start...end]
    }
}
