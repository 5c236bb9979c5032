import Testing
import ZNodeStore
import ZooKeeperWire

@Suite("Stat arithmetic")
struct StatTests {
    @Test func freshNodeHasCzxidEqualMzxidEqualPzxidAndZeroVersions() {
        let h = Harness()
        let r = h.create2("/n", "hello")
        let st = try! #require(r.createdStat)
        #expect(st.czxid == h.zxid && st.mzxid == h.zxid && st.pzxid == h.zxid)
        #expect(st.ctime == h.time && st.mtime == h.time)
        #expect(st.version == 0 && st.cversion == 0 && st.aversion == 0)
        #expect(st.ephemeralOwner == 0 && st.dataLength == 5 && st.numChildren == 0)
        #expect(h.stat("/n") == st)
    }

    @Test func setDataBumpsVersionAndMzxidButNotPzxid() {
        let h = Harness()
        h.create("/a", "1")
        let s0 = h.stat("/a")!
        let r = h.setData("/a", "22", version: 0)
        guard case .stat(let s1)? = r.response else { Issue.record("no stat"); return }
        #expect(s1.version == 1 && s1.dataLength == 2)
        #expect(s1.czxid == s0.czxid && s1.mzxid == h.zxid && s1.mzxid > s0.mzxid)
        #expect(s1.pzxid == s0.pzxid && s1.ctime == s0.ctime && s1.mtime == h.time)
        #expect(h.setData("/a", "x", version: 0).error == .badVersion)
        #expect(h.setData("/a", "", version: -1).error == .ok)
        #expect(h.stat("/a")!.version == 2 && h.data("/a") == "")
    }

    @Test func parentCversionCountsChildCreatesAndDeletesAndPzxidFollowsThem() {
        let h = Harness()
        h.create("/p")
        h.create("/p/c1")
        let c1 = h.stat("/p/c1")!
        var p = h.stat("/p")!
        #expect(p.cversion == 1 && p.numChildren == 1 && p.pzxid == c1.czxid)
        #expect(p.mzxid == p.czxid && p.version == 0)
        h.create("/p/c2")
        h.delete("/p/c1")
        p = h.stat("/p")!
        #expect(p.cversion == 3 && p.numChildren == 1 && p.pzxid == h.zxid)
        h.setData("/p/c2", "data")
        #expect(h.stat("/p")!.pzxid == p.pzxid && h.stat("/p")!.cversion == 3)
        #expect(h.stat("/p/c2")!.pzxid == h.stat("/p/c2")!.czxid)
    }

    @Test func setACLBumpsAversionOnly() {
        let h = Harness()
        h.create("/a")
        let before = h.stat("/a")!
        let readAdmin = [ACL(perms: [.read, .admin], id: .anyone)]
        let r = h.apply(.setACL(SetACLRequest(path: "/a", acl: readAdmin, version: 0)))
        guard case .stat(let st)? = r.response else { Issue.record("no stat"); return }
        #expect(st.aversion == 1 && st.version == 0 && st.mzxid == before.mzxid)
        #expect(h.apply(.setACL(SetACLRequest(path: "/a", acl: ACL.openUnsafe, version: 0))).error == .badVersion)
        // without ADMIN the permission check comes before the version check
        h.apply(.setACL(SetACLRequest(path: "/a", acl: ACL.readUnsafe, version: 1)))
        #expect(h.apply(.setACL(SetACLRequest(path: "/a", acl: ACL.openUnsafe, version: 0))).error == .noAuth)
    }

    @Test func systemNodesMatchAFreshZooKeeper() {
        let h = Harness()
        let root = h.stat("/")!
        #expect(root.numChildren == 1 && root.cversion == -1 && root.czxid == 0)
        let zk = h.stat("/zookeeper")!
        #expect(zk.numChildren == 2 && zk.cversion == -2)
        #expect(h.stat("/zookeeper/quota") != nil)
        let cfg = h.read(.getACL(PathRecord(path: "/zookeeper/config")))
        guard case .acl(let acl, let st)? = cfg.response else { Issue.record("no acl"); return }
        #expect(acl == ACL.readUnsafe && st.aversion == -1)
        #expect(h.store.nodeCount == 4 && h.store.zooKeeperNodeCount == 5)
        #expect(h.stat("") == root)
    }

    @Test func failedWriteStillAdvancesLastZxid() {
        let h = Harness()
        h.create("/a")
        #expect(h.create("/a").error == .nodeExists)
        #expect(h.store.lastZxid == h.zxid)
    }

    @Test func approximateDataSizeTracksPathsAndData() {
        let h = Harness()
        let base = h.store.approximateDataSize
        h.create("/abc", "12345")
        #expect(h.store.approximateDataSize == base + 4 + 5)
        h.setData("/abc", "1")
        #expect(h.store.approximateDataSize == base + 4 + 1)
        h.delete("/abc")
        #expect(h.store.approximateDataSize == base)
    }
}
