import ZooKeeperWire

extension ZNodeStore {
    /// multi: ops apply in order, each seeing the earlier ones; on the first failure all
    /// are rolled back. As in ZooKeeper 3.8 the reply itself is OK and the results carry
    /// the layout: `.error(0)` before the failing op, its code, then RUNTIMEINCONSISTENCY.
    /// Watches fire only when every op succeeded.
    func applyMulti(_ ops: [ZooKeeperRequest], _ ctx: OpContext) -> ApplyResult {
        for op in ops {
            switch op {
            case .create, .create2, .createContainer, .createTTL, .delete, .setData, .check: continue
            default: return .failure(.marshallingError)
            }
        }
        undoLog = []
        var results: [MultiResult] = []
        results.reserveCapacity(ops.count)
        for (i, op) in ops.enumerated() {
            switch applyOp(op, ctx, inMulti: true) {
            case .success(let outcome):
                results.append(outcome.multiResult)
            case .failure(let error):
                rollback()
                pendingTriggers = []
                var layout = [MultiResult](repeating: .error(ErrorCode.ok.rawValue), count: i)
                layout.append(.error(error.rawValue))
                layout += [MultiResult](repeating: .error(ErrorCode.runtimeInconsistency.rawValue), count: ops.count - i - 1)
                return .ok(.multi(layout))
            }
        }
        undoLog = nil
        firePendingTriggers()
        return .ok(.multi(results))
    }

    /// closeSession: deletes the session's ephemerals in sorted order (each firing
    /// NodeDeleted and the parent's NodeChildrenChanged — the closing session's own watches
    /// included, as ZooKeeper's killSession does before the connection goes), then drops
    /// the session's watches.
    func closeSession(_ txn: Txn) {
        let sid = txn.sessionId
        for path in sortedPaths(ephemerals[sid] ?? []) {
            guard let (parentPath, name) = PathUtils.split(path), let parent = node(at: parentPath) else { continue }
            removeNode(parent: parent, name: NodeName(name), path: path, zxid: txn.zxid)
        }
        firePendingTriggers()
        removeAllWatches(sessionId: sid)
        ephemerals[sid] = nil
        sessionTimeouts[sid] = nil
    }
}
