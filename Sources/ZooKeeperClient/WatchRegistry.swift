import ZooKeeperWire

/// Identifies one registered watcher (one `Watch` or persistent stream).
public struct WatcherID: Hashable, Sendable, Comparable {
    let raw: UInt64
    public static func < (a: WatcherID, b: WatcherID) -> Bool { a.raw < b.raw }
}

/// The client's side of watch bookkeeping, as ZooKeeper's `ZKWatchManager`: which
/// watchers an event fires, which watches to re-register after a reconnect. Pure; the
/// paths are server paths (chroot included).
struct WatchRegistry: Sendable {
    enum Kind: CaseIterable, Hashable, Sendable {
        case data, exist, child, persistent, persistentRecursive
    }

    private(set) var watches: [Kind: [String: [WatcherID]]] = [:]

    var isEmpty: Bool { watches.values.allSatisfy { $0.isEmpty } }

    mutating func add(_ id: WatcherID, kind: Kind, path: String) {
        watches[kind, default: [:]][path, default: []].append(id)
    }

    /// Removes the watchers of `kind` on `path` and returns them.
    mutating func remove(kind: Kind, path: String) -> [WatcherID] {
        watches[kind]?.removeValue(forKey: path) ?? []
    }

    /// Removes one watcher wherever it is (a consumer that went away).
    mutating func remove(id: WatcherID) {
        for kind in Kind.allCases {
            guard var byPath = watches[kind] else { continue }
            for (path, ids) in byPath where ids.contains(id) {
                let rest = ids.filter { $0 != id }
                byPath[path] = rest.isEmpty ? nil : rest
            }
            watches[kind] = byPath
        }
    }

    func contains(kind: Kind, path: String) -> Bool { !(watches[kind]?[path]?.isEmpty ?? true) }

    /// The watchers a node event fires. One-shot watchers are removed; persistent ones stay.
    mutating func fire(type: EventType, path: String) -> [WatcherID] {
        var fired: [WatcherID] = []
        switch type {
        case .nodeCreated, .nodeDataChanged:
            fired += remove(kind: .data, path: path)
            fired += remove(kind: .exist, path: path)
        case .nodeDeleted:
            fired += remove(kind: .data, path: path)
            fired += remove(kind: .exist, path: path)
            fired += remove(kind: .child, path: path)
        case .nodeChildrenChanged:
            fired += remove(kind: .child, path: path)
        case .none, .dataWatchRemoved, .childWatchRemoved, .persistentWatchRemoved:
            return []
        }
        fired += watches[.persistent]?[path] ?? []
        if type != .nodeChildrenChanged {
            for ancestor in Self.selfAndAncestors(path) {
                fired += watches[.persistentRecursive]?[ancestor] ?? []
            }
        }
        return Array(Set(fired)).sorted()
    }

    /// Removes every watcher (expiry, close) and returns them.
    mutating func removeAll() -> [WatcherID] {
        let all = watches.values.flatMap { $0.values.flatMap { $0 } }
        watches = [:]
        return Array(Set(all)).sorted()
    }

    /// Every watcher (for a `Disconnected` notification).
    var all: [WatcherID] { Array(Set(watches.values.flatMap { $0.values.flatMap { $0 } })).sorted() }

    static func selfAndAncestors(_ path: String) -> [String] {
        var out = [path]
        var p = Substring(path)
        while p != "/", let slash = p.lastIndex(of: "/") {
            p = slash == p.startIndex ? "/" : p[..<slash]
            out.append(String(p))
        }
        return out
    }

    /// The Java client's `SET_WATCHES_MAX_LENGTH`: the paths in one setWatches frame stay under 128 KB.
    static let setWatchesMaxLength = 128 * 1024

    /// `setWatches2` requests re-registering everything, each with at most `maxLength` bytes of paths.
    func setWatchesRequests(relativeZxid: Int64, maxLength: Int = setWatchesMaxLength) -> [SetWatchesRequest] {
        func paths(_ kind: Kind) -> [String] { (watches[kind] ?? [:]).filter { !$0.value.isEmpty }.keys.sorted() }
        let lists: [(Kind, [String])] = Kind.allCases.map { ($0, paths($0)) }
        var out: [SetWatchesRequest] = []
        var current = SetWatchesRequest(relativeZxid: relativeZxid)
        var length = 0
        var count = 0
        for (kind, list) in lists {
            for path in list {
                if count > 0 && length + path.utf8.count > maxLength {
                    out.append(current)
                    current = SetWatchesRequest(relativeZxid: relativeZxid)
                    length = 0
                    count = 0
                }
                switch kind {
                case .data: current.dataWatches.append(path)
                case .exist: current.existWatches.append(path)
                case .child: current.childWatches.append(path)
                case .persistent: current.persistentWatches.append(path)
                case .persistentRecursive: current.persistentRecursiveWatches.append(path)
                }
                length += path.utf8.count
                count += 1
            }
        }
        if count > 0 { out.append(current) }
        return out
    }
}
