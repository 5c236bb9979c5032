import ZooKeeperClient

extension Watch {
    /// Waits for the watch to fire; with a deadline, throws `LockError.timedOut` if it
    /// passes first. Shared by the lock, read-write lock and semaphore waits.
    func wait(until deadline: ContinuousClock.Instant?) async throws {
        guard let deadline else {
            _ = await event()
            return
        }
        let fired = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { _ = await self.event(); return true }
            group.addTask { try await Task.sleep(until: deadline); return false }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
        if !fired { throw LockError.timedOut }
    }
}

extension ZooKeeperError {
    /// The session is over for this client (closed, expired or refused): a watch loop stops.
    var endsWatching: Bool { kind == .closed || kind == .sessionExpired || kind == .authFailed }
}
