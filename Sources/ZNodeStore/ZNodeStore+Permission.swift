import ZooKeeperWire

extension ZNodeStore {
    /// Whether `auth` holds `perm` on the node at `path` (`ZooKeeperServer.checkACL`; a
    /// super user passes). False when the node does not exist. Used by `reconfig`, whose
    /// permission is WRITE on `/zookeeper/config`.
    public func hasPermission(_ perm: Permissions, on path: String, auth: AuthContext) -> Bool {
        guard case .acl(let acl, _)? = read(.getACL(PathRecord(path: path)), sessionId: 0, auth: AuthContext(isSuper: true)).response else {
            return false
        }
        return ACLRules.check(acl, perm, auth)
    }
}
