import Testing
import ZNodeStore
import ZooKeeperWire

@Suite("Sequential names")
struct SequentialTests {
    @Test func suffixIsParentCreateCountFormattedTenDigits() {
        let h = Harness()
        h.create("/b")
        h.create("/b/plain")
        #expect(h.create("/b/s-", flags: 2).createdPath == "/b/s-0000000001")
        h.delete("/b/plain")
        // deletes bump Stat.cversion but not the sequence counter (ZooKeeper's persisted cversion)
        #expect(h.create("/b/s-", flags: 2).createdPath == "/b/s-0000000002")
        #expect(h.create("/b/other", flags: 2).createdPath == "/b/other0000000003")
        h.createSession(7)
        let e = h.create("/b/e-", flags: 3, session: 7)
        #expect(e.createdPath == "/b/e-0000000004")
        #expect(h.stat("/b/e-0000000004")!.ephemeralOwner == 7)
        // a trailing slash is allowed for sequential creates: the name is only the number
        #expect(h.create("/b/", flags: 2).createdPath == "/b/0000000005")
    }

    @Test func clientCversionIsTwiceCreatesMinusLiveChildren() {
        let h = Harness()
        h.create("/b")
        h.create("/b/a")
        h.delete("/b/a")
        #expect(h.stat("/b")!.cversion == 2)
        #expect(h.create("/b/s-", flags: 2).createdPath == "/b/s-0000000001")
        #expect(h.stat("/b")!.cversion == 3)
        h.create("/b/c")
        h.delete("/b/c")
        #expect(h.stat("/b")!.cversion == 5)
        #expect(h.create("/b/s-", flags: 2).createdPath == "/b/s-0000000003")
        #expect(h.stat("/b")!.cversion == 6)
    }

    @Test func sequenceContinuesAfterAllChildrenDeleted() {
        let h = Harness()
        h.create("/q")
        for i in 0..<3 { #expect(h.create("/q/q-", flags: 2).createdPath == "/q/q-000000000\(i)") }
        for c in h.children("/q")! { h.delete("/q/" + c) }
        #expect(h.create("/q/q-", flags: 2).createdPath == "/q/q-0000000003")
    }

    @Test func sequentialCreateOfExistingNameIsNodeExists() {
        let h = Harness()
        h.create("/p")
        h.create("/p/x0000000001")  // parent's create count becomes 1
        #expect(h.create("/p/x", flags: 2).error == .nodeExists)
        #expect(h.create("/p/y", flags: 2).createdPath == "/p/y0000000001")
    }
}
