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
    /// Replaces the whole state with a snapshot (installed from the leader or loaded at start).
    func restore(snapshot data: [UInt8]) throws
}
