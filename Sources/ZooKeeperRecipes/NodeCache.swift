import ZooKeeperClient
import ZooKeeperWire

/// A local mirror of one node (Curator's `NodeCache`): `updates()` yields the node's data and
/// stat now and after every change (nil while the node does not exist), kept current by
/// one-shot watches re-set on every event and re-read after a reconnect.
public struct NodeCache: Sendable {
    public let client: ZooKeeperClient
    public let path: String

    public init(client: ZooKeeperClient, path: String) {
        self.client = client
        self.path = path
    }

    public func updates() -> AsyncStream<NodeData?> {
        let (stream, continuation) = AsyncStream<NodeData?>.makeStream(bufferingPolicy: .bufferingNewest(16))
        let task = Task { [client, path] in
            let states = await client.connectionStates()
            let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let stateTask = Task {
                for await state in states where state == .reconnected { wake.yield() }
                wake.finish()
            }
            defer { stateTask.cancel() }
            var last: NodeData?? = .none
            var iterator = wakeups.makeAsyncIterator()
            while !Task.isCancelled {
                do {
                    let current: NodeData?
                    let watch: Watch
                    do {
                        (current, watch) = try await client.getData(path, watch: true)
                    } catch let e as ZooKeeperError where e.code == .noNode {
                        let (stat, existsWatch) = try await client.exists(path, watch: true)
                        // Created between the two calls: the exists watch has not fired; look again.
                        if stat != nil { continue }
                        (current, watch) = (nil, existsWatch)
                    }
                    if last == nil || last! != current {
                        continuation.yield(current)
                        last = .some(current)
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
}
