import ZooKeeperClient

/// The loop `NodeCache` and `GroupMembership` share: `read` (which sets a one-shot watch)
/// gives the current value; it is yielded when it differs from the last one; then the loop
/// waits for that watch to fire or for the client to reconnect, and reads again. `read`
/// returns nil to ask for an immediate re-read. The stream ends when the client closes or
/// its session ends, and its consumer cancelling it stops the loop.
func watchedValues<Value: Equatable & Sendable>(
    _ client: ZooKeeperClient, read: @escaping @Sendable () async throws -> (Value, Watch)?
) -> AsyncStream<Value> {
    let (stream, continuation) = AsyncStream<Value>.makeStream(bufferingPolicy: .bufferingNewest(16))
    let task = Task {
        let states = await client.connectionStates()
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let stateTask = Task {
            for await state in states where state == .reconnected { wake.yield() }
            wake.finish()
        }
        defer { stateTask.cancel() }
        var last: Value?
        var iterator = wakeups.makeAsyncIterator()
        while !Task.isCancelled {
            do {
                guard let (value, watch) = try await read() else { continue }
                if last != value {
                    continuation.yield(value)
                    last = value
                }
                Task {
                    _ = await watch.event()
                    wake.yield()
                }
            } catch let error as ZooKeeperError where error.endsWatching {
                break
            } catch {
                // Connection loss: the reconnect wakes us.
            }
            guard await iterator.next() != nil else { break }
        }
        continuation.finish()
    }
    continuation.onTermination = { _ in task.cancel() }
    return stream
}
