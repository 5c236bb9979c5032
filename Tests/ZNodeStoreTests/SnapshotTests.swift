import Testing
import ZNodeStore
import ZooKeeperWire

@Suite("Snapshots")
struct SnapshotTests {
    /// A store with every kind of node, session, ACL and stat quirk.
    func populated() -> Harness {
        let h = Harness(ZNodeStoreConfig(extendedTypesEnabled: true))
        h.createSession(0x101, timeout: 4000)
        h.createSession(0x102, timeout: 9000)
        h.create("/app", "config")
        h.create("/app/e", flags: 1, session: 0x101)
        h.create("/app/s-", flags: 2)
        h.create("/app/s-", flags: 2)
        h.delete("/app/s-0000000001")
        h.create("/secure", "x", acl: [ACL(perms: .all, id: Id(scheme: "digest", id: "u:h")), ACL(perms: .read, id: .anyone)])
        h.apply(.createContainer(CreateRequest(path: "/c")))
        h.apply(.createTTL(CreateRequest(path: "/t", data: [0, 255], flags: 5, ttl: 1000)))
        h.setData("/app", "config2")
        h.create("/unicode-é", "ü")
        for i in 0..<20 { h.create("/app/n\(i)", String(repeating: "d", count: i)) }
        return h
    }

    @Test func roundTripIsByteIdentical() throws {
        let h = populated()
        let bytes = h.store.serializeSnapshot()
        let restored = try ZNodeStore.deserialize(bytes, config: h.store.config)
        #expect(restored.serializeSnapshot() == bytes)
    }

    @Test func restoredStoreAnswersLikeTheOriginal() throws {
        let h = populated()
        let restored = try ZNodeStore.deserialize(h.store.serializeSnapshot(), config: h.store.config)
        #expect(restored.lastZxid == h.store.lastZxid)
        #expect(restored.nodeCount == h.store.nodeCount)
        #expect(restored.approximateDataSize == h.store.approximateDataSize)
        #expect(restored.sessions == h.store.sessions)
        #expect(restored.ephemeralCount() == 1)
        for path in ["/", "/app", "/app/e", "/app/s-0000000002", "/secure", "/c", "/t", "/zookeeper/config", "/unicode-é"] {
            let a = h.store.read(.getData(PathWatchRequest(path: path)), sessionId: 0, auth: AuthContext(isSuper: true))
            let b = restored.read(.getData(PathWatchRequest(path: path)), sessionId: 0, auth: AuthContext(isSuper: true))
            #expect(a == b && a.error == .ok, "\(path)")
            let aclA = h.store.read(.getACL(PathRecord(path: path)), sessionId: 0, auth: AuthContext(isSuper: true))
            let aclB = restored.read(.getACL(PathRecord(path: path)), sessionId: 0, auth: AuthContext(isSuper: true))
            #expect(aclA == aclB)
        }
        #expect(restored.reapCandidates(now: Int64.max / 2) == h.store.reapCandidates(now: Int64.max / 2))
        // the sequence counter survives: stored cversion, not the client view
        let txn = Txn(sessionId: 1, zxid: h.zxid + 1, time: h.time, kind: .request(.create(CreateRequest(path: "/app/s-", flags: 2)), auth: AuthContext()))
        #expect(restored.apply(txn).response == h.store.apply(txn).response)
    }

    @Test func sameLogicalStateGivesSameBytesWhateverTheACLCacheHistory() {
        func txn(_ zxid: Int64, _ r: ZooKeeperRequest) -> Txn {
            Txn(sessionId: 1, zxid: zxid, time: 1000 + zxid, kind: .request(r, auth: AuthContext()))
        }
        let readOnly = [ACL(perms: .read, id: .anyone)]
        let a = ZNodeStore(), b = ZNodeStore()
        // b first applies a failed multi whose rolled-back create used (and freed) an ACL slot
        let failed = b.apply(txn(5, .multi([
            .create(CreateRequest(path: "/tmp", acl: [ACL(perms: .write, id: .anyone)])),
            .create(CreateRequest(path: "/missing/x")),
        ])))
        #expect(failed.multiResults?.last == .error(ErrorCode.noNode.rawValue))
        for store in [a, b] {
            _ = store.apply(txn(10, .create(CreateRequest(path: "/y", data: [1], acl: [ACL(perms: .admin, id: .anyone)]))))
            _ = store.apply(txn(11, .create(CreateRequest(path: "/x", acl: readOnly))))
            _ = store.apply(txn(12, .create(CreateRequest(path: "/y/z", acl: readOnly))))
        }
        #expect(a.serializeSnapshot() == b.serializeSnapshot())
    }

    @Test func watchesAreNotPartOfTheSnapshot() throws {
        let h = Harness()
        h.create("/a")
        let before = h.store.serializeSnapshot()
        h.watchData("/a", session: 3)
        _ = h.store.addWatch(path: "/", mode: .persistentRecursive, sessionId: 3)
        #expect(h.store.serializeSnapshot() == before)
        #expect(try ZNodeStore.deserialize(before, config: ZNodeStoreConfig()).watchCount == 0)
    }

    @Test func corruptSnapshotsAreRejected() {
        let bytes = populated().store.serializeSnapshot()
        #expect(throws: SnapshotError.badMagic) { try ZNodeStore.deserialize(Array("NOTASNAP".utf8) + bytes.dropFirst(8), config: ZNodeStoreConfig()) }
        #expect(throws: SnapshotError.truncated) { try ZNodeStore.deserialize(Array(bytes.dropLast(3)), config: ZNodeStoreConfig()) }
        #expect(throws: SnapshotError.self) { try ZNodeStore.deserialize(bytes + [0], config: ZNodeStoreConfig()) }
    }
}
