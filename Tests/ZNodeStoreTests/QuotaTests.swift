import Testing
import ZNodeStore
import ZooKeeperWire

@Suite("Quotas")
struct QuotaTests {
    /// What zkCli's `setquota` does: plain creates of the limits and stats nodes.
    func setQuota(_ h: Harness, _ path: String, limits: String) {
        var p = "/zookeeper/quota"
        for part in path.split(separator: "/") {
            p += "/" + part
            h.create(p)
        }
        #expect(h.create(p + "/zookeeper_limits", limits).error == .ok)
        #expect(h.create(p + "/zookeeper_stats", "count=0,bytes=0").error == .ok)
    }

    func stats(_ h: Harness, _ path: String) -> String? { h.data("/zookeeper/quota" + path + "/zookeeper_stats") }

    @Test func statsNodeIsRecountedWhenCreatedAndTrackedAfterwards() {
        let h = Harness()
        h.create("/app", "12345")
        h.create("/app/a", "xy")
        setQuota(h, "/app", limits: "count=10,bytes=100")
        #expect(stats(h, "/app") == "count=2,bytes=7")
        let statsStat = h.stat("/zookeeper/quota/app/zookeeper_stats")!
        h.create("/app/b", "abc")
        h.create("/app/a/deep", "")
        #expect(stats(h, "/app") == "count=4,bytes=10")
        h.setData("/app/a", "")
        #expect(stats(h, "/app") == "count=4,bytes=8")
        h.delete("/app/b")
        #expect(stats(h, "/app") == "count=3,bytes=5")
        h.create("/other", "zzz")
        #expect(stats(h, "/app") == "count=3,bytes=5")
        // the stats node is rewritten in place: no version or mzxid change
        let after = h.stat("/zookeeper/quota/app/zookeeper_stats")!
        #expect(after.version == statsStat.version && after.mzxid == statsStat.mzxid)
        #expect(h.store.invariantViolations() == [])
    }

    @Test func deletingTheLimitsNodeStopsTracking() {
        let h = Harness()
        h.create("/app")
        setQuota(h, "/app", limits: "count=10,bytes=100")
        h.delete("/zookeeper/quota/app/zookeeper_limits")
        h.create("/app/x", "123")
        #expect(stats(h, "/app") == "count=1,bytes=0")
    }

    @Test func hardLimitsAreEnforcedOnlyWithEnforceQuota() {
        let limits = "count=-1,bytes=-1=;byteHardLimit=10;countHardLimit=3"
        let enforcing = Harness(ZNodeStoreConfig(enforceQuota: true))
        let lenient = Harness()
        for h in [enforcing, lenient] {
            h.create("/app")
            setQuota(h, "/app", limits: limits)
            #expect(h.create("/app/a", "12345").error == .ok)
            #expect(h.create("/app/b").error == .ok)
        }
        #expect(enforcing.create("/app/c").error == .quotaExceeded)
        #expect(enforcing.setData("/app/a", "1234567890X").error == .quotaExceeded)
        #expect(enforcing.setData("/app/a", "1234567890").error == .ok)
        #expect(stats(enforcing, "/app") == "count=3,bytes=10")
        #expect(lenient.create("/app/c").error == .ok)
        #expect(lenient.setData("/app/a", "1234567890X").error == .ok)
    }

    @Test func softLimitsNeverFail() {
        let h = Harness(ZNodeStoreConfig(enforceQuota: true))
        h.create("/app")
        setQuota(h, "/app", limits: "count=1,bytes=1")
        #expect(h.create("/app/a", "many bytes").error == .ok)
    }

    @Test func rolledBackMultiRestoresQuotaStats() {
        let h = Harness()
        h.create("/app")
        setQuota(h, "/app", limits: "count=10,bytes=100")
        let before = stats(h, "/app")
        let r = h.apply(.multi([.create(CreateRequest(path: "/app/a", data: [1, 2])), .create(CreateRequest(path: "/nope/x"))]))
        #expect(r.multiResults?.last == .error(ErrorCode.noNode.rawValue))
        #expect(stats(h, "/app") == before)
        #expect(h.store.invariantViolations() == [])
    }

    @Test func quotaTrackingSurvivesASnapshot() throws {
        let h = Harness()
        h.create("/app")
        setQuota(h, "/app", limits: "count=10,bytes=100")
        let restored = try ZNodeStore.deserialize(h.store.serializeSnapshot(), config: ZNodeStoreConfig())
        let txn = Txn(sessionId: 1, zxid: h.zxid + 1, time: h.time, kind: .request(.create(CreateRequest(path: "/app/n", data: [1])), auth: AuthContext()))
        _ = restored.apply(txn)
        _ = h.store.apply(txn)
        #expect(restored.serializeSnapshot() == h.store.serializeSnapshot())
        #expect(stats(h, "/app") == "count=2,bytes=1")
    }

    @Test func statsTextKeepsZooKeepersLayout() {
        let h = Harness()
        h.create("/app")
        setQuota(h, "/app", limits: "count=5,bytes=50")
        h.setData("/zookeeper/quota/app/zookeeper_stats", "count=1,bytes=0=;countHardLimit=9")
        h.create("/app/x", "ab")
        #expect(stats(h, "/app") == "count=2,bytes=2=;countHardLimit=9")
    }
}
