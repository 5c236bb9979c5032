/// Errors of the on-disk Raft storage.
public enum DiskStorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An operating-system call failed.
    case io(String)
    /// Damaged data that is not a torn tail: the node must not start on it.
    case corruption(file: String, offset: Int, reason: String)
    /// A call that breaks the storage contract (e.g. a gap in appended entries).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .io(let s):
            return "raft storage I/O error: \(s)"
        case .corruption(let file, let offset, let reason):
            return """
            raft storage corruption in \(file) at byte offset \(offset): \(reason). \
            This is not a torn write at the end of the log, so truncating it could lose \
            acknowledged entries; refusing to start. To recover: keep this directory for diagnosis, \
            remove this server from the ensemble (reconfig) from a healthy member, start it with an \
            empty data directory and add it back so it catches up from the leader; or restore the \
            directory from a backup taken while the server was stopped.
            """
        case .invalidArgument(let s):
            return "raft storage: invalid argument: \(s)"
        }
    }
}
