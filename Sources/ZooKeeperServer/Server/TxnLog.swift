import ZNodeStore
import ZooKeeperWire

/// The one narrow boundary every state change goes through: request → txn → log → apply.
/// The log orders and stamps (zxid, time) the txn, makes it durable/replicated, then asks
/// the `applier` to apply it; `completion` runs on the server's event loop with the result.
protocol TxnLog: AnyObject {
    func append(sessionId: Int64, cxid: Int32, kind: TxnKind, completion: @escaping (Txn, ApplyResult) -> Void)
}

/// Applies committed txns to the store and fans out their effects (watch events, session
/// bookkeeping). Implemented by `ServerState`.
protocol TxnApplier: AnyObject {
    func applyCommitted(_ txn: Txn) -> ApplyResult
    var lastAppliedZxid: Int64 { get }
    /// The replicated state, serialized deterministically, for a Raft snapshot.
    func snapshotData() -> [UInt8]
    /// An incremental snapshot of the current state (see `SnapshotJob`).
    func beginSnapshot() -> any SnapshotJob
    /// Ends (or abandons) a job from `beginSnapshot`.
    func endSnapshot(_ job: any SnapshotJob)
    /// Replaces the whole state with a snapshot (installed from the leader or loaded at start).
    func restore(snapshot data: [UInt8]) throws
}

/// A snapshot taken in slices on the event loop: `step` until it returns true, then
/// `endSnapshot`, then `finish` (any thread) gives the bytes of the state at the start.
/// Or, with `stream` called first, the bytes go to a sink in chunks while `step` runs,
/// and `flush` sends the rest.
protocol SnapshotJob: AnyObject, Sendable {
    func step(maxNodes: Int) -> Bool
    func finish() -> [UInt8]
    func stream(chunkSize: Int, to sink: @escaping @Sendable (SnapshotChunk) -> Void)
    /// A chunk from the sink that may be reused (any thread).
    func recycle(_ chunk: SnapshotChunk)
    func flush()
    var isAbandoned: Bool { get }
    /// `step` is waiting for background work: call it again a little later.
    var isWaiting: Bool { get }
}

extension SnapshotBuilder: SnapshotJob {}

/// A snapshot job whose walk can run on a thread of its own (see
/// `SnapshotBuilder.moveWalkOffLoop`): the loop then applies entries inside `excludingWalk`.
protocol OffLoopSnapshotJob: SnapshotJob {
    func moveWalkOffLoop()
    func excludingWalk<T>(_ body: () throws -> T) rethrows -> T
    func walk(stepNodes: Int, sliceNs: UInt64, writing write: (SnapshotChunk) -> Void) -> Bool
    var gate: SnapshotWalkGate? { get }
}

extension SnapshotBuilder: OffLoopSnapshotJob {}

/// The store's snapshot chunk, named apart from RaftCore's (files importing both).
typealias StoreSnapshotChunk = SnapshotChunk

/// A snapshot serialized at once (appliers without incremental snapshots).
final class SerializedSnapshot: SnapshotJob, @unchecked Sendable {
    let data: [UInt8]
    private var sink: (@Sendable (SnapshotChunk) -> Void)?
    init(_ data: [UInt8]) { self.data = data }
    func step(maxNodes: Int) -> Bool { true }
    func finish() -> [UInt8] { data }
    func stream(chunkSize: Int, to sink: @escaping @Sendable (SnapshotChunk) -> Void) { self.sink = sink }
    func recycle(_ chunk: SnapshotChunk) {}
    func flush() {
        sink?(SnapshotChunk(data))
        sink = nil
    }
    var isAbandoned: Bool { false }
    var isWaiting: Bool { false }
}

extension TxnApplier {
    func beginSnapshot() -> any SnapshotJob { SerializedSnapshot(snapshotData()) }
    func endSnapshot(_ job: any SnapshotJob) {}
}
