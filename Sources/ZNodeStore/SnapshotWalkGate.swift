import CTuskShims
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lets a snapshot walk run on its own thread while the event loop goes on serving (see
/// `SnapshotBuilder.moveWalkOffLoop`). The tree and the walk's own state (pre-images) are
/// touched by one side at a time: the walker holds the gate while it runs a few steps,
/// the loop while it changes the tree (a batch of applies) or a cache kept in a node
/// (a child order). Plain reads on the loop need nothing: the walker only reads the tree.
///
/// The loop never waits long: it raises `loopWants` first, and the walker checks it
/// between steps of a few dozen nodes and lets go. The loop spins meanwhile (a wake-up
/// across cores costs tens of microseconds here) and sleeps on the lock only if the
/// walker does not let go soon (it was preempted). The walker only ever tries the lock,
/// so the loop's unlock never has a sleeper to wake.
public final class SnapshotWalkGate: @unchecked Sendable {
    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    private let wanted = Atomic<Bool>(false)
    /// How deep the loop is in `loopHolding` (loop only): a completion run inside a batch
    /// of applies may read a child order, which takes the gate again.
    private var loopDepth = 0
    /// Times the loop found the walker in, and the loop time spent waiting (loop only).
    public private(set) var loopWaits = 0
    public private(set) var loopWaitNs: UInt64 = 0
    public private(set) var longestLoopWaitNs: UInt64 = 0
    /// Pause instructions the loop spins for before it sleeps on the lock.
    static let loopSpins = 4096

    public init() {
        lock = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// True while the loop holds the gate (on the loop; assertions).
    public var heldByLoop: Bool { loopDepth > 0 }

    /// Runs `body` on the loop with the walker kept out.
    public func loopHolding<T>(_ body: () throws -> T) rethrows -> T {
        if loopDepth > 0 {
            loopDepth += 1
            defer { loopDepth -= 1 }
            return try body()
        }
        if pthread_mutex_trylock(lock) != 0 { waitForWalker() }
        loopDepth = 1
        defer {
            loopDepth = 0
            pthread_mutex_unlock(lock)
        }
        return try body()
    }

    private func waitForWalker() {
        let start = DispatchTime.now().uptimeNanoseconds
        wanted.store(true, ordering: .relaxed)
        var spins = 0
        while pthread_mutex_trylock(lock) != 0 {
            spins += 1
            if spins >= Self.loopSpins {
                pthread_mutex_lock(lock)
                break
            }
            tusk_cpu_relax()
        }
        wanted.store(false, ordering: .relaxed)
        let waited = DispatchTime.now().uptimeNanoseconds - start
        loopWaits += 1
        loopWaitNs += waited
        longestLoopWaitNs = max(longestLoopWaitNs, waited)
    }

    /// The loop is waiting: the walker should let go now.
    public var loopWants: Bool { wanted.load(ordering: .relaxed) }

    /// Runs `body` on the walker's thread if the loop neither holds nor wants the gate;
    /// nil if it does (try again a little later).
    public func walkerHolding<T>(_ body: () -> T) -> T? {
        if wanted.load(ordering: .relaxed) { return nil }
        guard pthread_mutex_trylock(lock) == 0 else { return nil }
        defer { pthread_mutex_unlock(lock) }
        return body()
    }
}
