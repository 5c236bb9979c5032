import Testing
@testable import ZNodeStore
import ZooKeeperWire

@Suite("Deep trees")
struct DeepTreeTests {
    /// Builds a 300 000-deep chain directly (a chain built with creates costs O(depth²)
    /// in path handling, as in ZooKeeper) and checks that snapshotting and releasing it
    /// do not recurse.
    @Test func aVeryDeepChainIsSerializedAndReleasedWithoutRecursion() {
        var store: ZNodeStore? = ZNodeStore()
        var n = store!.root
        for _ in 0..<300_000 {
            let child = ZNode(data: [], aclIndex: n.aclIndex, zxid: 1, time: 1, ephemeralOwner: 0)
            store!.acls.retain(index: n.aclIndex)
            n.children[NodeName("a")] = child
            n = child
        }
        let bytes = store!.serializeSnapshot()
        #expect(bytes.count > 300_000 * 60)
        #expect(store!.descendantCount(store!.root) == 300_003)
        store = nil
        #expect(store == nil)
    }
}
