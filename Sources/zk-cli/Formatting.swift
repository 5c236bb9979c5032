import Foundation
import ZooKeeperClient
import ZooKeeperWire

enum Format {
    /// `0x` + Java's `Long.toHexString`.
    static func hex(_ v: Int64) -> String { "0x" + String(UInt64(bitPattern: v), radix: 16) }

    /// Java's `new Date(ms).toString()`: `Thu Nov 26 19:07:29 UTC 2026`, in the local zone.
    static func javaDate(_ ms: Int64) -> String {
        var t = time_t(ms / 1000 - (ms % 1000 < 0 ? 1 : 0))
        var tmv = tm()
        localtime_r(&t, &tmv)
        var buf = [Int8](repeating: 0, count: 64)
        let n = strftime(&buf, buf.count, "%a %b %d %H:%M:%S %Z %Y", &tmv)
        return String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// zkCli's stat block (`StatPrinter`).
    static func stat(_ s: Stat) -> String {
        """
        cZxid = \(hex(s.czxid))
        ctime = \(javaDate(s.ctime))
        mZxid = \(hex(s.mzxid))
        mtime = \(javaDate(s.mtime))
        pZxid = \(hex(s.pzxid))
        cversion = \(s.cversion)
        dataVersion = \(s.version)
        aclVersion = \(s.aversion)
        ephemeralOwner = \(hex(s.ephemeralOwner))
        dataLength = \(s.dataLength)
        numChildren = \(s.numChildren)
        """
    }

    /// jute's CSV string form (`Utils.toCSVString`), used by `Id.toString()`.
    static func csv(_ s: String) -> String {
        var out = "'"
        for c in s {
            switch c {
            case "\0": out += "%00"
            case "\n": out += "%0A"
            case "\r": out += "%0D"
            case ",": out += "%2C"
            case "}": out += "%7D"
            case "%": out += "%25"
            default: out.append(c)
            }
        }
        return out
    }

    /// `getAcl` lines: `'world,'anyone` then `: cdrwa`.
    static func acl(_ acl: [ACL]) -> String {
        acl.map { "\(csv($0.id.scheme)),\(csv($0.id.id))\n: \($0.perms.letters)" }.joined(separator: "\n")
    }

    /// Java's `List.toString()`: `[a, b]`.
    static func list(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }

    /// Data as zkCli prints it (`new String(data, UTF_8)`).
    static func data(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// zkCli's `AclParser.parse`: `scheme:id:perm[,…]`; malformed entries are reported and skipped.
    static func parseACL(_ text: String) -> [ACL] {
        var out: [ACL] = []
        for entry in text.split(separator: ",") {
            guard let first = entry.firstIndex(of: ":"), let last = entry.lastIndex(of: ":"), first != last else {
                Console.shared.err("\(entry) does not have the form scheme:id:perm")
                continue
            }
            let scheme = String(entry[..<first])
            let id = String(entry[entry.index(after: first)..<last])
            var perms: Permissions = []
            for c in entry[entry.index(after: last)...] {
                switch c.lowercased() {
                case "r": perms.insert(.read)
                case "w": perms.insert(.write)
                case "c": perms.insert(.create)
                case "d": perms.insert(.delete)
                case "a": perms.insert(.admin)
                default: Console.shared.err("Unknown perm type: \(c)")
                }
            }
            out.append(ACL(perms: perms, id: Id(scheme: scheme, id: id)))
        }
        return out
    }

    /// zkCli's `CliWrapperException` messages.
    static func error(_ e: ZooKeeperError) -> String {
        let path = e.path ?? "null"
        switch e.kind {
        case .server(.noNode): return "Node does not exist: \(path)"
        case .server(.noChildrenForEphemerals): return "Ephemerals cannot have children: \(path)"
        case .server(.nodeExists): return "Node already exists: \(path)"
        case .server(.notEmpty): return "Node not empty: \(path)"
        case .server(.notReadOnly): return "Not a read-only call: \(path)"
        case .server(.invalidACL): return "Acl is not valid : \(path)"
        case .server(.noAuth): return "Insufficient permission : \(path)"
        case .server(.badArguments): return "Arguments are not valid : \(path)"
        case .server(.badVersion): return "version No is not valid : \(path)"
        case .server(.reconfigInProgress):
            return "Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)"
        case .badArguments(let m): return m
        default: return e.description
        }
    }
}
