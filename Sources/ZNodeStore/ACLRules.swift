import ZooKeeperWire

/// ACL evaluation and `fixupACL`, following `ZooKeeperServer.checkACL` and
/// `PrepRequestProcessor.fixupACL`.
enum ACLRules {
    /// Whether `auth` holds `perm` on a node whose ACL is `acl`.
    static func check(_ acl: [ACL], _ perm: Permissions, _ auth: AuthContext) -> Bool {
        if acl.isEmpty || auth.bypassesACL { return true }
        for a in acl where a.perms.rawValue & perm.rawValue != 0 {
            let id = a.id
            if id.scheme == "world" && id.id == "anyone" { return true }
            for authId in auth.ids where authId.scheme == id.scheme {
                switch id.scheme {
                case "ip": if IPAuth.matches(id: authId.id, aclExpr: id.id) { return true }
                case "digest", "sasl", "x509": if authId.id == id.id { return true }
                default: continue
                }
            }
        }
        return false
    }

    /// Schemes whose ids count for the `auth` pseudo-scheme (`isAuthenticated()`).
    static func isAuthenticatedScheme(_ scheme: String) -> Bool {
        scheme == "digest" || scheme == "sasl" || scheme == "x509"
    }

    /// Deduplicates, validates, and expands `auth` entries to the requester's ids.
    /// nil means `INVALIDACL`.
    static func fixup(_ acls: [ACL], _ auth: AuthContext) -> [ACL]? {
        // Nearly every create carries one world:anyone entry (OPEN_ACL_UNSAFE or READ_ACL_UNSAFE),
        // which fixup keeps as it is: share the request's array (two allocations per create).
        if acls.count == 1, acls[0].id.scheme == "world", acls[0].id.id == "anyone" { return acls }
        var unique: [ACL] = []
        for a in acls where !unique.contains(a) { unique.append(a) }
        if unique.isEmpty { return nil }
        var result: [ACL] = []
        for a in unique {
            let id = a.id
            if id.scheme == "world" && id.id == "anyone" {
                result.append(a)
            } else if id.scheme == "auth" {
                let authIds = auth.ids.filter { isAuthenticatedScheme($0.scheme) }
                if authIds.isEmpty { return nil }
                for cid in authIds { result.append(ACL(perms: a.perms, id: cid)) }
            } else {
                switch id.scheme {
                case "digest": if !DigestAuth.isValidId(id.id) { return nil }
                case "ip": if !IPAuth.isValid(id.id) { return nil }
                case "sasl", "x509": break
                default: return nil
                }
                result.append(a)
            }
        }
        return result
    }

    /// getACL without ADMIN: digest hashes are hidden (`user:x`).
    static func redacted(_ acl: [ACL]) -> [ACL] {
        acl.map { a in
            guard a.id.scheme == "digest", a.id.id.contains(":") else { return a }
            let user = a.id.id.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            return ACL(perms: a.perms, id: Id(scheme: "digest", id: user + ":x"))
        }
    }
}
