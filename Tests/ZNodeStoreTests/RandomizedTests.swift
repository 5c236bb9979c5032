import Testing
import ZNodeStore
import ZooKeeperWire

/// SplitMix64: a tiny seeded generator so every run is reproducible from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Randomized txn sequences")
struct RandomizedTests {
    static let paths = ["/a", "/b", "/a/x", "/a/y", "/b/x", "/a/x/1", "/c", "/c/k", "/zookeeper/quota/q"]
    static let acls: [[ACL]] = [
        ACL.openUnsafe, ACL.readUnsafe, [ACL(perms: [.read, .create, .delete], id: .anyone)],
        [ACL(perms: .all, id: Id(scheme: "digest", id: "u:h"))], ACL.creatorAll,
    ]

    func randomOp(_ rng: inout SeededGenerator, inMulti: Bool) -> ZooKeeperRequest {
        let path = Self.paths.randomElement(using: &rng)!
        let version = Int32.random(in: -1...2, using: &rng)
        let data = [UInt8](repeating: UInt8.random(in: 0...255, using: &rng), count: Int.random(in: 0...5, using: &rng))
        switch Int.random(in: 0..<(inMulti ? 6 : 8), using: &rng) {
        case 0, 1:
            let flags = [0, 0, 1, 2, 3, 4].randomElement(using: &rng)!
            return .create(CreateRequest(path: path, data: data, acl: Self.acls.randomElement(using: &rng)!, flags: Int32(flags)))
        case 2: return .delete(PathVersionRequest(path: path, version: version))
        case 3: return .setData(SetDataRequest(path: path, data: data, version: version))
        case 4: return .check(PathVersionRequest(path: path, version: version))
        case 5: return .createContainer(CreateRequest(path: path, data: data))
        case 6: return .setACL(SetACLRequest(path: path, acl: Self.acls.randomElement(using: &rng)!, version: version))
        default: return .deleteContainer(PathRecord(path: path))
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func failedMultisChangeNothingAndIndexesStayConsistent(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let store = ZNodeStore()
        let auths = [AuthContext(), AuthContext(ids: [Id(scheme: "digest", id: "u:h")])]
        var zxid: Int64 = 0
        var failedMultis = 0
        for step in 0..<600 {
            zxid += 1
            let session = Int64.random(in: 1...3, using: &rng)
            let kind: TxnKind
            switch Int.random(in: 0..<20, using: &rng) {
            case 0: kind = .createSession(timeout: 5000)
            case 1: kind = .closeSession
            case 2..<9:
                let ops = (0..<Int.random(in: 0...4, using: &rng)).map { _ in randomOp(&rng, inMulti: true) }
                kind = .request(.multi(ops), auth: auths.randomElement(using: &rng)!)
            default:
                kind = .request(randomOp(&rng, inMulti: false), auth: auths.randomElement(using: &rng)!)
            }
            let before = store.serializeSnapshot()
            let result = store.apply(Txn(sessionId: session, zxid: zxid, time: zxid * 10, kind: kind))
            let after = store.serializeSnapshot()
            if case .request(.multi, _) = kind, let results = result.multiResults,
               results.contains(where: { if case .error(let e) = $0 { e != 0 } else { false } }) {
                failedMultis += 1
                #expect(Array(after.dropFirst(20)) == Array(before.dropFirst(20)), "seed \(seed) step \(step): failed multi changed state")
                #expect(store.drainNotifications().isEmpty, "seed \(seed) step \(step): failed multi fired watches")
            } else if result.error != .ok, case .request = kind {
                #expect(Array(after.dropFirst(20)) == Array(before.dropFirst(20)), "seed \(seed) step \(step): failed op changed state")
            }
            let violations = store.invariantViolations()
            #expect(violations.isEmpty, "seed \(seed) step \(step): \(violations)")
            if step % 50 == 0 {
                let restored = try ZNodeStore.deserialize(after, config: ZNodeStoreConfig())
                #expect(restored.serializeSnapshot() == after, "seed \(seed) step \(step): round trip")
                #expect(restored.invariantViolations().isEmpty)
            }
            if !violations.isEmpty { return }
        }
        #expect(failedMultis > 10)
    }

    @Test func twoReplicasApplyingTheSameLogAgree() {
        var rng = SeededGenerator(seed: 42)
        var log: [Txn] = []
        for z in 1...800 {
            let session = Int64.random(in: 1...3, using: &rng)
            let kind: TxnKind = switch Int.random(in: 0..<15, using: &rng) {
            case 0: .createSession(timeout: 1000)
            case 1: .closeSession
            default: .request(randomOp(&rng, inMulti: false), auth: AuthContext())
            }
            log.append(Txn(sessionId: session, zxid: Int64(z), time: Int64(z) * 7, kind: kind))
        }
        let a = ZNodeStore(), b = ZNodeStore()
        for s in [a, b] {
            for session: Int64 in 1...3 { _ = s.addWatch(path: "/", mode: .persistentRecursive, sessionId: session) }
        }
        var eventsA: [String] = [], eventsB: [String] = []
        for t in log {
            #expect(a.apply(t) == b.apply(t))
            eventsA += a.drainNotifications().map { "\($0.sessionId) \($0.event)" }
            eventsB += b.drainNotifications().map { "\($0.sessionId) \($0.event)" }
        }
        #expect(a.serializeSnapshot() == b.serializeSnapshot())
        #expect(eventsA == eventsB && !eventsA.isEmpty)
    }
}
