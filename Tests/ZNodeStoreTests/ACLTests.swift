import Testing
import ZNodeStore
import ZooKeeperWire

@Suite("ACL schemes")
struct ACLTests {
    let alice = DigestAuth.digest("alice:secret")
    var aliceAuth: AuthContext { AuthContext(ids: [Id(scheme: "digest", id: alice)]) }
    let bob = AuthContext(ids: [Id(scheme: "digest", id: DigestAuth.digest("bob:pw"))])

    @Test func digestIsUserColonBase64Sha1OfUserColonPassword() {
        // Known vectors: ZooKeeper's DigestAuthenticationProvider output.
        #expect(DigestAuth.digest("super:test") == "super:D/InIHSb7yEEbrWz8b9l71RjZJU=")
        // vectors below computed with Python's hashlib/base64
        #expect(DigestAuth.digest("alice:secret") == "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=")
        #expect(DigestAuth.digest("u:") == "u:IX23jg4I7W2/R//KoV8VL1UfuBM=")
        // longer than one SHA-1 block
        let long = String(repeating: "a", count: 100) + ":" + String(repeating: "b", count: 100)
        #expect(DigestAuth.digest(long) == String(repeating: "a", count: 100) + ":VFZZx4tImkUbgl7TySxkmMryxLw=")
    }

    @Test func superDigestAddsTheSuperId() {
        let ids = DigestAuth.authenticate("super:test", superDigest: "super:D/InIHSb7yEEbrWz8b9l71RjZJU=")
        #expect(ids == [Id(scheme: "super", id: ""), Id(scheme: "digest", id: "super:D/InIHSb7yEEbrWz8b9l71RjZJU=")])
        #expect(DigestAuth.authenticate("super:wrong", superDigest: "super:D/InIHSb7yEEbrWz8b9l71RjZJU=").count == 1)
    }

    @Test func worldAnyoneGrantsEveryone() {
        let h = Harness()
        h.create("/w", acl: [ACL(perms: [.read], id: .anyone)])
        #expect(h.read(.getData(PathWatchRequest(path: "/w"))).error == .ok)
        #expect(h.setData("/w", "x").error == .noAuth)
        #expect(h.create("/w/c").error == .noAuth)
    }

    @Test func digestACLMatchesOnlyTheSameDigest() {
        let h = Harness()
        h.create("/d", acl: [ACL(perms: .all, id: Id(scheme: "digest", id: alice))])
        #expect(h.read(.getData(PathWatchRequest(path: "/d")), auth: aliceAuth).error == .ok)
        #expect(h.read(.getData(PathWatchRequest(path: "/d")), auth: bob).error == .noAuth)
        #expect(h.read(.getData(PathWatchRequest(path: "/d"))).error == .noAuth)
        #expect(h.read(.getChildren(PathWatchRequest(path: "/d"))).error == .noAuth)
        #expect(h.read(.exists(PathWatchRequest(path: "/d"))).error == .ok)  // exists checks no ACL
        #expect(h.setData("/d", "x", auth: bob).error == .noAuth)
        #expect(h.setData("/d", "x", auth: aliceAuth).error == .ok)
    }

    @Test func authSchemeIsReplacedByTheCreatorsAuthenticatedIds() {
        let h = Harness()
        let both = AuthContext(ids: [Id(scheme: "ip", id: "10.1.2.3"), Id(scheme: "digest", id: alice)])
        #expect(h.create("/c", acl: ACL.creatorAll, auth: both).error == .ok)
        guard case .acl(let acl, _)? = h.read(.getACL(PathRecord(path: "/c")), auth: aliceAuth).response else {
            Issue.record("no acl"); return
        }
        #expect(acl == [ACL(perms: .all, id: Id(scheme: "digest", id: alice))])  // ip ids do not count
    }

    @Test func authSchemeWithoutAuthenticatedIdsIsInvalidACL() {
        let h = Harness()
        #expect(h.create("/c", acl: ACL.creatorAll).error == .invalidACL)
        #expect(h.create("/c", acl: ACL.creatorAll, auth: AuthContext(ids: [Id(scheme: "ip", id: "1.2.3.4")])).error == .invalidACL)
        h.create("/x")
        #expect(h.apply(.setACL(SetACLRequest(path: "/x", acl: ACL.creatorAll))).error == .invalidACL)
    }

    @Test func malformedACLsAreInvalid() {
        let h = Harness()
        let bad: [[ACL]] = [
            [], [ACL(perms: .all, id: Id(scheme: "world", id: "someone"))],
            [ACL(perms: .all, id: Id(scheme: "digest", id: "nocolon"))],
            [ACL(perms: .all, id: Id(scheme: "digest", id: "a:b:c"))],
            [ACL(perms: .all, id: Id(scheme: "ip", id: "10.0.0.0/33"))],
            [ACL(perms: .all, id: Id(scheme: "ip", id: "::1"))],
            [ACL(perms: .all, id: Id(scheme: "nosuch", id: "x"))],
        ]
        for acl in bad { #expect(h.create("/n", acl: acl).error == .invalidACL, "\(acl)") }
        // duplicates are removed
        h.create("/dup", acl: ACL.openUnsafe + ACL.openUnsafe)
        #expect(h.read(.getACL(PathRecord(path: "/dup"))).response.map { if case .acl(let a, _) = $0 { a.count } else { 0 } } == 1)
    }

    @Test func ipSchemeMatchesWithMasks() {
        #expect(IPAuth.matches(id: "10.1.2.3", aclExpr: "10.0.0.0/8"))
        #expect(!IPAuth.matches(id: "11.1.2.3", aclExpr: "10.0.0.0/8"))
        #expect(IPAuth.matches(id: "192.168.1.77", aclExpr: "192.168.1.64/26"))
        #expect(!IPAuth.matches(id: "192.168.1.128", aclExpr: "192.168.1.64/26"))
        #expect(IPAuth.matches(id: "1.2.3.4", aclExpr: "1.2.3.4"))
        #expect(!IPAuth.matches(id: "1.2.3.5", aclExpr: "1.2.3.4"))
        #expect(IPAuth.matches(id: "8.8.8.8", aclExpr: "0.0.0.0/0"))
        let h = Harness()
        h.create("/ip", acl: [ACL(perms: .all, id: Id(scheme: "ip", id: "10.0.0.0/8"))])
        #expect(h.read(.getData(PathWatchRequest(path: "/ip")), auth: AuthContext(ids: [Id(scheme: "ip", id: "10.9.9.9")])).error == .ok)
        #expect(h.read(.getData(PathWatchRequest(path: "/ip")), auth: AuthContext(ids: [Id(scheme: "ip", id: "127.0.0.1")])).error == .noAuth)
    }

    @Test func superBypassesEveryCheck() {
        let h = Harness()
        h.create("/s", acl: [ACL(perms: .read, id: Id(scheme: "digest", id: alice))])
        let superByFlag = AuthContext(isSuper: true)
        let superById = AuthContext(ids: [Id(scheme: "super", id: "")])
        #expect(h.setData("/s", "x", auth: superByFlag).error == .ok)
        #expect(h.create("/s/c", auth: superById).error == .ok)
        #expect(h.delete("/s/c", auth: superById).error == .ok)
    }

    @Test func eachOpChecksItsPermission() {
        let h = Harness()
        func node(_ perms: Permissions) -> String {
            let p = "/n\(perms.rawValue)"
            h.create(p, acl: [ACL(perms: perms, id: .anyone)])
            return p
        }
        let noCreate = node([.read, .write, .delete, .admin])
        #expect(h.create(noCreate + "/c").error == .noAuth)
        let noDelete = node([.read, .write, .create, .admin])
        h.create(noDelete + "/c")
        #expect(h.delete(noDelete + "/c").error == .noAuth)  // DELETE is checked on the parent
        let noWrite = node([.read, .create, .delete, .admin])
        #expect(h.setData(noWrite, "x").error == .noAuth)
        let noAdmin = node([.read, .write, .create, .delete])
        #expect(h.apply(.setACL(SetACLRequest(path: noAdmin, acl: ACL.openUnsafe))).error == .noAuth)
        let noRead = node([.write, .create, .delete])
        #expect(h.read(.getData(PathWatchRequest(path: noRead))).error == .noAuth)
        #expect(h.read(.getAllChildrenNumber(PathRecord(path: noRead))).error == .noAuth)
        #expect(h.read(.getACL(PathRecord(path: noRead))).error == .noAuth)
        #expect(h.apply(.multi([.check(PathVersionRequest(path: noRead, version: -1))])).multiResults == [.error(ErrorCode.noAuth.rawValue)])
    }

    @Test func getACLNeedsReadOrAdminAndHidesDigestsWithoutAdmin() {
        let h = Harness()
        let acl = [ACL(perms: .read, id: .anyone), ACL(perms: .all, id: Id(scheme: "digest", id: alice))]
        h.create("/g", acl: acl)
        guard case .acl(let seen, _)? = h.read(.getACL(PathRecord(path: "/g"))).response,
              case .acl(let full, _)? = h.read(.getACL(PathRecord(path: "/g")), auth: aliceAuth).response
        else { Issue.record("no acl"); return }
        #expect(seen == [ACL(perms: .read, id: .anyone), ACL(perms: .all, id: Id(scheme: "digest", id: "alice:x"))])
        #expect(full == acl)
        h.create("/adminOnly", acl: [ACL(perms: .admin, id: .anyone)])
        #expect(h.read(.getACL(PathRecord(path: "/adminOnly"))).error == .ok)
    }

    @Test func aclListsAreSharedBetweenNodes() {
        let h = Harness()
        for i in 0..<50 { h.create("/n\(i)", acl: [ACL(perms: .all, id: Id(scheme: "digest", id: alice))]) }
        // the snapshot stores each distinct list once: open, read-only, alice's
        let snap = h.store.serializeSnapshot()
        let aliceBytes = Array(alice.utf8)
        let occurrences = (0...(snap.count - aliceBytes.count)).filter { Array(snap[$0..<$0 + aliceBytes.count]) == aliceBytes }.count
        #expect(occurrences == 1)
    }
}
