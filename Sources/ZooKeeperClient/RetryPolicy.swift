/// Bounded exponential back-off for idempotent operations (Curator's
/// `ExponentialBackoffRetry`, with full jitter and a cap).
public struct RetryPolicy: Sendable {
    public var maxRetries: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxRetries: Int = 3, baseDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(5)) {
        self.maxRetries = maxRetries; self.baseDelay = baseDelay; self.maxDelay = maxDelay
    }

    public static let `default` = RetryPolicy()
    public static let none = RetryPolicy(maxRetries: 0)

    /// The delay before retry `attempt` (1-based), given `jitter` in 0..<1.
    public func delay(attempt: Int, jitter: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 20)
        let raw = min(maxDelay, baseDelay * (1 << exponent))
        return raw * (0.5 + jitter / 2)
    }
}

extension ZooKeeperClient {
    /// Runs an idempotent `operation`, retrying connection loss and timeouts with
    /// back-off. Other errors (NONODE, BADVERSION, session expiry, close) are thrown at once.
    public nonisolated func withRetry<T: Sendable>(
        _ policy: RetryPolicy = .default, _ operation: @Sendable (ZooKeeperClient) async throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await operation(self)
            } catch let error as ZooKeeperError where error.isRetryable && attempt < policy.maxRetries {
                attempt += 1
                try await Task.sleep(for: policy.delay(attempt: attempt, jitter: Double.random(in: 0..<1)))
            }
        }
    }
}
