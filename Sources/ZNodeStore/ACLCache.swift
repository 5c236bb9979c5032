import ZooKeeperWire

/// Interned ACL lists with reference counts (ZooKeeper's `ReferenceCountedACLCache`):
/// every node stores a 4-byte index instead of its own copy of the list.
struct ACLCache {
    private(set) var lists: [[ACL]] = []
    private var refCounts: [Int] = []
    private var indexByList: [[ACL]: Int32] = [:]
    private var free: [Int32] = []

    /// Returns the index of `acl`, adding a reference.
    mutating func retain(_ acl: [ACL]) -> Int32 {
        if let i = indexByList[acl] {
            refCounts[Int(i)] += 1
            return i
        }
        let i: Int32
        if let f = free.popLast() {
            i = f
            lists[Int(i)] = acl
            refCounts[Int(i)] = 1
        } else {
            i = Int32(lists.count)
            lists.append(acl)
            refCounts.append(1)
        }
        indexByList[acl] = i
        return i
    }

    mutating func retain(index: Int32) { refCounts[Int(index)] += 1 }

    mutating func release(_ index: Int32) {
        let i = Int(index)
        refCounts[i] -= 1
        if refCounts[i] == 0 {
            indexByList[lists[i]] = nil
            lists[i] = []
            free.append(index)
        }
    }

    subscript(index: Int32) -> [ACL] { lists[Int(index)] }

    var liveCount: Int { indexByList.count }

    func references(_ index: Int32) -> Int { refCounts[Int(index)] }
}
