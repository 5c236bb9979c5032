import ZooKeeperWire

/// A watch trigger recorded while a txn applies, fired once it has succeeded.
/// Each carries the ACLs a watcher needs READ on to receive the event (the node's own,
/// and the parent's for NodeChildrenChanged), captured when the op ran.
enum Trigger {
    case created(String, acl: [ACL], parentACL: [ACL])
    case deleted(String, acl: [ACL], parentACL: [ACL])
    case dataChanged(String, acl: [ACL])
}

/// How to revert one primitive mutation of a multi.
enum Undo {
    case created(parent: ZNode, name: NodeName, path: String, parentCversion: Int32, parentPzxid: Int64)
    case deleted(parent: ZNode, name: NodeName, path: String, node: ZNode, acl: [ACL], parentPzxid: Int64)
    case dataSet(node: ZNode, path: String, data: [UInt8]?, version: Int32, mzxid: Int64, mtime: Int64)
    case aclSet(node: ZNode, acl: [ACL], aversion: Int32)
    case rawData(node: ZNode, data: [UInt8]?)
    case quotaPath(String, wasPresent: Bool)
}

extension ZNodeStore {
    // MARK: - Primitive mutations (the only code that changes the tree)
    // Each calls `willMutate` on every node it changes before changing it (incremental
    // snapshots rely on it); `rollback` only reverts nodes these already preserved.

    func insertNode(parent: ZNode, name: NodeName, path: String, data: [UInt8]?, acl: [ACL],
                    owner: Int64, zxid: Int64, time: Int64) -> ZNode {
        willMutate(parent)
        let child = ZNode(data: data, aclIndex: acls.retain(acl), zxid: zxid, time: time, ephemeralOwner: owner)
        undoLog?.append(.created(parent: parent, name: name, path: path, parentCversion: parent.cversion, parentPzxid: parent.pzxid))
        parent.children[name] = child
        parent.cversion &+= 1
        parent.pzxid = zxid
        attach(child, path: path)
        quotaAfterCreate(parentPath: PathUtils.split(path)?.parent ?? "", name: name.string, path: path, bytes: data?.count ?? 0)
        pendingTriggers.append(.created(path, acl: acl, parentACL: acls[parent.aclIndex]))
        return child
    }

    func removeNode(parent: ZNode, name: NodeName, path: String, zxid: Int64) {
        guard let existing = parent.children[name] else { return }
        willMutate(parent)
        willMutate(existing)
        guard let node = parent.children.removeValue(forKey: name) else { return }
        let acl = acls[node.aclIndex]
        undoLog?.append(.deleted(parent: parent, name: name, path: path, node: node, acl: acl, parentPzxid: parent.pzxid))
        if zxid > parent.pzxid { parent.pzxid = zxid }
        detach(node, path: path)
        quotaAfterDelete(parentPath: PathUtils.split(path)?.parent ?? "", name: name.string, path: path, bytes: node.dataSize)
        pendingTriggers.append(.deleted(path, acl: acl, parentACL: acls[parent.aclIndex]))
    }

    func setNodeData(_ node: ZNode, path: String, data: [UInt8]?, version: Int32, zxid: Int64, time: Int64) {
        willMutate(node)
        undoLog?.append(.dataSet(node: node, path: path, data: node.data, version: node.version, mzxid: node.mzxid, mtime: node.mtime))
        let bytesDiff = (data?.count ?? 0) - node.dataSize
        approximateDataSize += bytesDiff
        node.data = data
        node.version = version
        node.mzxid = zxid
        node.mtime = time
        quotaAfterSetData(path: path, bytesDiff: bytesDiff)
        pendingTriggers.append(.dataChanged(path, acl: acls[node.aclIndex]))
    }

    func setNodeACL(_ node: ZNode, acl: [ACL], aversion: Int32) {
        willMutate(node)
        undoLog?.append(.aclSet(node: node, acl: acls[node.aclIndex], aversion: node.aversion))
        let newIndex = acls.retain(acl)
        acls.release(node.aclIndex)
        node.aclIndex = newIndex
        node.aversion = aversion
    }

    /// Bookkeeping for a node entering the tree (counts, size, owner indexes).
    func attach(_ node: ZNode, path: String) {
        nodeCount += 1
        approximateDataSize += path.utf8.count + node.dataSize
        switch kind(of: node) {
        case .container: containers.insert(path)
        case .ttl: ttls.insert(path)
        case .normal: ephemerals[node.ephemeralOwner, default: []].insert(path)
        case .void: break
        }
    }

    func detach(_ node: ZNode, path: String) {
        nodeCount -= 1
        approximateDataSize -= path.utf8.count + node.dataSize
        acls.release(node.aclIndex)
        switch kind(of: node) {
        case .container: containers.remove(path)
        case .ttl: ttls.remove(path)
        case .normal:
            ephemerals[node.ephemeralOwner]?.remove(path)
            if ephemerals[node.ephemeralOwner]?.isEmpty == true { ephemerals[node.ephemeralOwner] = nil }
        case .void: break
        }
    }

    /// Reverts the mutations recorded in `undoLog`, newest first.
    func rollback() {
        guard let log = undoLog else { return }
        undoLog = nil
        for entry in log.reversed() {
            switch entry {
            case .created(let parent, let name, let path, let cversion, let pzxid):
                if let child = parent.children.removeValue(forKey: name) { detach(child, path: path) }
                parent.cversion = cversion
                parent.pzxid = pzxid
            case .deleted(let parent, let name, let path, let node, let acl, let pzxid):
                node.aclIndex = acls.retain(acl)
                parent.children[name] = node
                parent.pzxid = pzxid
                nodeCount += 1
                approximateDataSize += path.utf8.count + node.dataSize
                switch kind(of: node) {
                case .container: containers.insert(path)
                case .ttl: ttls.insert(path)
                case .normal: ephemerals[node.ephemeralOwner, default: []].insert(path)
                case .void: break
                }
            case .dataSet(let node, _, let data, let version, let mzxid, let mtime):
                approximateDataSize += (data?.count ?? 0) - node.dataSize
                node.data = data; node.version = version; node.mzxid = mzxid; node.mtime = mtime
            case .aclSet(let node, let acl, let aversion):
                let restored = acls.retain(acl)
                acls.release(node.aclIndex)
                node.aclIndex = restored
                node.aversion = aversion
            case .rawData(let node, let data):
                approximateDataSize += (data?.count ?? 0) - node.dataSize
                node.data = data
            case .quotaPath(let path, let wasPresent):
                if wasPresent { quotaPaths.insert(path) } else { quotaPaths.remove(path) }
            }
        }
    }

    // MARK: - Watch triggers (DataTree.createNode / deleteNode / setData)

    func firePendingTriggers() {
        if dataWatches.isEmpty && childWatches.isEmpty {
            // No watch anywhere: nothing can fire (the common case under write load), and
            // the array keeps its buffer for the next write.
            pendingTriggers.removeAll(keepingCapacity: true)
            return
        }
        let triggers = pendingTriggers
        pendingTriggers = []
        for t in triggers {
            switch t {
            case .created(let path, let acl, let parentACL):
                emit(dataWatches.trigger(path, .nodeCreated), .nodeCreated, path, acl)
                let parent = PathUtils.parentForWatch(path)
                emit(childWatches.trigger(parent, .nodeChildrenChanged), .nodeChildrenChanged, parent, parentACL)
            case .deleted(let path, let acl, let parentACL):
                let fired = dataWatches.trigger(path, .nodeDeleted)
                emit(fired, .nodeDeleted, path, acl)
                emit(childWatches.trigger(path, .nodeDeleted), .nodeDeleted, path, acl, suppress: fired)
                let parent = PathUtils.parentForWatch(path)
                emit(childWatches.trigger(parent, .nodeChildrenChanged), .nodeChildrenChanged, parent, parentACL)
            case .dataChanged(let path, let acl):
                emit(dataWatches.trigger(path, .nodeDataChanged), .nodeDataChanged, path, acl)
            }
        }
    }

    /// Queues one event per session, in session-id order (deterministic). As in ZooKeeper
    /// 3.8.4+ (and Debian's patched 3.8.0, CVE-2024-23944), a session whose auth lacks READ
    /// on `acl` does not get the event, though a one-shot watch is still used up.
    func emit(_ sessions: Set<Int64>, _ type: EventType, _ path: String, _ acl: [ACL], suppress: Set<Int64> = []) {
        for s in sessions.sorted() where !suppress.contains(s) {
            if let auth = sessionAuth[s], !ACLRules.check(acl, .read, auth) { continue }
            notifications.append((sessionId: s, event: WatcherEvent(type: type, state: .syncConnected, path: path)))
        }
    }
}
