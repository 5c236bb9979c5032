import Testing
import ZNodeStore
import ZooKeeperWire

/// The replicated session owner behind SESSIONMOVED: decided at apply time from the txn's
/// origin, so every replica rejects the same stale writes.
@Suite("Session owners")
struct SessionOwnerTests {
    func txn(_ zxid: Int64, _ kind: TxnKind, session: Int64 = 0x101, origin: Int32) -> Txn {
        Txn(sessionId: session, zxid: zxid, time: 1000 + zxid, kind: kind, origin: origin)
    }

    func create(_ path: String) -> TxnKind { .request(.create(CreateRequest(path: path)), auth: AuthContext()) }

    @Test func writesFromTheOldServerFailOnceTheSessionMoved() throws {
        let store = ZNodeStore()
        #expect(store.apply(txn(1, .createSession(timeout: 4000), origin: 1)).error == .ok)
        #expect(store.sessionOwner(0x101) == 1)
        #expect(store.apply(txn(2, create("/a"), origin: 1)).error == .ok)
        #expect(store.apply(txn(3, .attachSession, origin: 2)).error == .ok)
        #expect(store.sessionOwner(0x101) == 2)
        let before = store.serializeSnapshot()
        #expect(store.apply(txn(4, create("/b"), origin: 1)).error == .sessionMoved)
        #expect(store.apply(txn(5, .request(.multi([.create(CreateRequest(path: "/c"))]), auth: AuthContext()), origin: 1)).error == .sessionMoved)
        // a rejected write changes nothing but lastZxid
        let after = try ZNodeStore.deserialize(store.serializeSnapshot(), config: store.config)
        #expect(after.nodeCount == (try ZNodeStore.deserialize(before, config: store.config)).nodeCount)
        #expect(store.apply(txn(6, create("/b"), origin: 2)).error == .ok)
        // unknown origin (0) is not checked
        #expect(store.apply(txn(7, create("/d"), origin: 0)).error == .ok)
        // closing from anywhere is allowed and forgets the owner
        #expect(store.apply(txn(8, .closeSession, origin: 1)).error == .ok)
        #expect(store.sessionOwner(0x101) == 0)
        #expect(store.apply(txn(9, .attachSession, origin: 3)).error == .sessionExpired)
    }

    @Test func ownersSurviveASnapshot() throws {
        let store = ZNodeStore()
        _ = store.apply(txn(1, .createSession(timeout: 4000), origin: 1))
        _ = store.apply(txn(2, .createSession(timeout: 4000), session: 0x102, origin: 2))
        _ = store.apply(txn(3, .attachSession, origin: 3))
        let bytes = store.serializeSnapshot()
        let restored = try ZNodeStore.deserialize(bytes, config: store.config)
        #expect(restored.sessionOwner(0x101) == 3)
        #expect(restored.sessionOwner(0x102) == 2)
        #expect(restored.serializeSnapshot() == bytes)
        #expect(restored.apply(txn(4, create("/x"), origin: 1)).error == .sessionMoved)
    }
}
