import ZooKeeperWire

extension ZNodeStore {
    /// Recomputes every derived index from the tree and reports mismatches (empty when
    /// consistent). O(nodes); for tests and debug checks after snapshot load.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        var count = 0
        var size = 0
        var eph: [Int64: Set<String>] = [:]
        var cont: Set<String> = []
        var ttl: Set<String> = []
        var aclUses: [Int32: Int] = [:]
        var stack: [(ZNode, String)] = [(root, "")]
        while let (n, path) = stack.popLast() {
            count += 1
            size += path.utf8.count + n.dataSize
            aclUses[n.aclIndex, default: 0] += 1
            if acls[n.aclIndex].isEmpty { problems.append("\(path): empty or freed ACL slot \(n.aclIndex)") }
            switch kind(of: n) {
            case .container: cont.insert(path)
            case .ttl: ttl.insert(path)
            case .normal:
                eph[n.ephemeralOwner, default: []].insert(path)
                if !n.children.isEmpty { problems.append("\(path): ephemeral with children") }
            case .void: break
            }
            if n.pzxid < n.czxid { problems.append("\(path): pzxid < czxid") }
            for (name, child) in n.children { stack.append((child, path + "/" + name.string)) }
        }
        if count != nodeCount { problems.append("nodeCount \(nodeCount) != \(count)") }
        if size != approximateDataSize { problems.append("approximateDataSize \(approximateDataSize) != \(size)") }
        if eph != ephemerals { problems.append("ephemerals index differs from the tree") }
        if cont != containers { problems.append("containers index differs from the tree") }
        if ttl != ttls { problems.append("ttls index differs from the tree") }
        if aclUses.count != acls.liveCount { problems.append("ACL cache holds \(acls.liveCount) lists, tree uses \(aclUses.count)") }
        for (index, uses) in aclUses where acls.references(index) != uses {
            problems.append("ACL \(index) has \(acls.references(index)) references, tree uses \(uses)")
        }
        return problems
    }
}
