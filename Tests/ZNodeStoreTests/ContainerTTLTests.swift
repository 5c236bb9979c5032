import Testing
import ZNodeStore
import ZooKeeperWire

@Suite("Containers and TTL nodes")
struct ContainerTTLTests {
    func createContainer(_ h: Harness, _ path: String, flags: Int32 = 0) -> ApplyResult {
        h.apply(.createContainer(CreateRequest(path: path, flags: flags)))
    }

    func createTTL(_ h: Harness, _ path: String, ttl: Int64, flags: Int32 = 5) -> ApplyResult {
        h.apply(.createTTL(CreateRequest(path: path, flags: flags, ttl: ttl)))
    }

    @Test func containerIsReapCandidateOnlyAfterItHadAChildAndIsEmpty() {
        let h = Harness()
        let r = createContainer(h, "/c")
        #expect(r.createdStat?.ephemeralOwner == 0)  // clients see 0, as in ZooKeeper
        #expect(h.store.reapCandidates(now: h.time + 1_000_000) == [])
        h.create("/c/child")
        #expect(h.store.reapCandidates(now: h.time) == [])
        h.delete("/c/child")
        #expect(h.store.reapCandidates(now: h.time) == ["/c"])
        #expect(h.apply(.deleteContainer(PathRecord(path: "/c"))).error == .ok)
        #expect(h.stat("/c") == nil)
        #expect(h.store.reapCandidates(now: h.time) == [])
    }

    @Test func createContainerOpcodeDecidesTypeAndCreateWithContainerFlagMakesPlainNode() {
        let h = Harness()
        h.createSession(1)
        #expect(createContainer(h, "/c1", flags: 1).error == .ok)  // flags do not change the type
        h.create("/c1/x"); h.delete("/c1/x")
        h.create("/plain", flags: 4)
        h.create("/plain/x"); h.delete("/plain/x")
        #expect(h.store.reapCandidates(now: h.time) == ["/c1"])
        #expect(h.stat("/c1")!.ephemeralOwner == 0)
    }

    @Test func neverUsedContainerIsReapedOnlyWithMaxNeverUsedInterval() {
        let h = Harness(ZNodeStoreConfig(containerMaxNeverUsedIntervalMs: 1000))
        _ = createContainer(h, "/c")
        #expect(h.store.reapCandidates(now: h.time + 1000) == [])
        #expect(h.store.reapCandidates(now: h.time + 1001) == ["/c"])
    }

    @Test func ttlNodeNeedsExtendedTypes() {
        let h = Harness()
        #expect(createTTL(h, "/t", ttl: 1000).error == .unimplemented)
        #expect(h.stat("/t") == nil)
    }

    @Test func ttlMustBePositiveAndAtMostTwoToTheFortyMinusOne() {
        let h = Harness(ZNodeStoreConfig(extendedTypesEnabled: true))
        #expect(createTTL(h, "/z", ttl: 0).error == .badArguments)
        #expect(createTTL(h, "/z", ttl: -1).error == .badArguments)
        #expect(createTTL(h, "/z", ttl: 1 << 40).error == .badArguments)
        #expect(createTTL(h, "/max", ttl: (1 << 40) - 1).error == .ok)
        for flags: Int32 in [0, 1, 4] {
            #expect(createTTL(h, "/z", ttl: 1000, flags: flags).error == .badArguments)
            #expect(createTTL(h, "/z", ttl: -5, flags: flags).error == .badArguments)
        }
        #expect(h.create("/z", flags: 5).error == .badArguments)
        #expect(h.create("/z", flags: 6).error == .badArguments)
        let seq = createTTL(h, "/s-", ttl: 60_000, flags: 6)
        #expect(seq.createdPath == "/s-0000000001")
    }

    @Test func ttlNodeIsCandidateWhenChildlessAndUnmodifiedLongerThanTTL() {
        let h = Harness(ZNodeStoreConfig(extendedTypesEnabled: true))
        let r = createTTL(h, "/t", ttl: 500)
        #expect(r.createdStat?.ephemeralOwner == 0)
        let mtime = h.time
        #expect(h.store.reapCandidates(now: mtime + 500) == [])
        #expect(h.store.reapCandidates(now: mtime + 501) == ["/t"])
        h.create("/t/c")
        #expect(h.store.reapCandidates(now: mtime + 10_000) == [])
        h.delete("/t/c")
        #expect(h.store.reapCandidates(now: mtime + 10_000) == ["/t"])
    }

    @Test func deleteContainerRechecksTheReasonAtApplyTime() {
        let h = Harness(ZNodeStoreConfig(extendedTypesEnabled: true))
        _ = createTTL(h, "/t", ttl: 500)
        // not expired at the txn's time: a no-op
        #expect(h.apply(.deleteContainer(PathRecord(path: "/t"))).error == .badVersion)
        h.time += 1000
        #expect(h.apply(.deleteContainer(PathRecord(path: "/t"))).error == .ok)
        _ = createContainer(h, "/c")
        h.create("/c/x")
        #expect(h.apply(.deleteContainer(PathRecord(path: "/c"))).error == .notEmpty)
        h.create("/plain")
        #expect(h.apply(.deleteContainer(PathRecord(path: "/plain"))).error == .badVersion)
        h.createSession(3)
        h.create("/eph", flags: 1, session: 3)
        #expect(h.apply(.deleteContainer(PathRecord(path: "/eph"))).error == .badVersion)
        #expect(h.apply(.deleteContainer(PathRecord(path: "/nope"))).error == .noNode)
        #expect(h.apply(.deleteContainer(PathRecord(path: "/zookeeper"))).error == .badArguments)
    }

    @Test func reapedContainerFiresDeleteWatches() {
        let h = Harness()
        _ = createContainer(h, "/c")
        h.create("/c/x"); h.delete("/c/x")
        h.watchData("/c", session: 9)
        h.watchChildren("/", session: 9)
        h.apply(.deleteContainer(PathRecord(path: "/c")))
        #expect(h.events() == [Event(9, .nodeDeleted, "/c"), Event(9, .nodeChildrenChanged, "/")])
    }
}
