/// ZooKeeper's `ip` scheme (`IPAuthenticationProvider`): IPv4 addresses with an optional
/// `/bits` mask. Like ZooKeeper 3.8, IPv6 is not understood (such ACLs are invalid).
public enum IPAuth {
    /// Whether the client address `id` matches the ACL expression (e.g. `10.0.0.0/8`).
    public static func matches(id: String, aclExpr: String) -> Bool {
        let parts = aclExpr.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard var acl = v4Bytes(String(parts[0])) else { return false }
        var bits = 32
        if parts.count == 2 {
            guard let b = Int(parts[1]), b >= 0, b <= 32 else { return false }
            bits = b
        }
        guard var remote = v4Bytes(id) else { return false }
        mask(&acl, bits); mask(&remote, bits)
        return acl == remote
    }

    /// `isValid`: an IPv4 address with an optional mask of 0…32 bits.
    public static func isValid(_ aclExpr: String) -> Bool {
        let parts = aclExpr.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard v4Bytes(String(parts[0])) != nil else { return false }
        if parts.count == 2 {
            guard let b = Int(parts[1]), b >= 0, b <= 32 else { return false }
        }
        return true
    }

    static func v4Bytes(_ addr: String) -> [UInt8]? {
        let parts = addr.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard let v = Int(p), v >= 0, v <= 255 else { return nil }
            out.append(UInt8(v))
        }
        return out
    }

    static func mask(_ b: inout [UInt8], _ bits: Int) {
        for i in 0..<b.count {
            let keep = max(0, min(8, bits - i * 8))
            b[i] &= keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
    }
}
