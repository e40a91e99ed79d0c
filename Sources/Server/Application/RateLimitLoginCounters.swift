import Cache
import CMS

/// The CMS's failed-login counters on the rate limiter's store (`RATE_LIMITER_STORE`, as Directus's login
/// limiter): with Redis every instance counts the same attempts, per process while Redis is away.
struct RateLimitLoginCounters: LoginCounters {
    let store: any RateLimitStore

    func increment(_ key: String, window: Double) async throws -> (count: Int, secondsLeft: Int) {
        let outcome = try await store.consume(key, points: .max, duration: window)
        return (outcome.consumed, outcome.retryAfter)
    }

    func current(_ key: String) async throws -> (count: Int, secondsLeft: Int)? {
        try await store.peek(key).map { ($0.consumed, $0.retryAfter) }
    }

    func reset(_ key: String) async throws {
        try await store.reset(key)
    }

    func release(_ key: String) async throws {
        try await store.release(key)
    }
}
