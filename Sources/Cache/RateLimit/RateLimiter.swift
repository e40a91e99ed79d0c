import Foundation
import Logging
import Synchronization

/// The answer of a rate limiter for one request.
public struct RateLimitOutcome: Sendable, Equatable {
    public let allowed: Bool
    /// Requests counted in the current window, this one included.
    public let consumed: Int
    /// Seconds until the window resets.
    public let retryAfter: Int
}

/// Counts requests per key in fixed windows (as rate-limiter-flexible, which Directus uses).
public protocol RateLimitStore: Sendable {
    func consume(_ key: String, points: Int, duration: Double) async throws -> RateLimitOutcome
}

/// Per-process counters; windows that have ended are swept once the table grows.
public final class MemoryRateLimitStore: RateLimitStore {
    private let windows = Mutex<[String: (count: Int, resetAt: Double)]>([:])
    private static let sweepAt = 10_000

    public init() {}

    public func consume(_ key: String, points: Int, duration: Double) async throws -> RateLimitOutcome {
        let now = Date().timeIntervalSince1970
        return windows.withLock { windows in
            if windows.count > Self.sweepAt { windows = windows.filter { $0.value.resetAt > now } }
            var window: (count: Int, resetAt: Double) = windows[key].flatMap { $0.resetAt > now ? $0 : nil } ?? (0, now + duration)
            window.count += 1
            windows[key] = window
            return RateLimitOutcome(allowed: window.count <= points, consumed: window.count,
                                    retryAfter: max(1, Int((window.resetAt - now).rounded(.up))))
        }
    }
}

/// Counters in Redis, shared by every instance: one atomic script per request.
public final class RedisRateLimitStore: RateLimitStore {
    private let client: RedisClient
    private let prefix: String

    public init(client: RedisClient, namespace: String) {
        self.client = client
        prefix = namespace + ":"
    }

    /// KEYS[1] = counter, ARGV[1] = window in ms. Returns {count, ms left}.
    static let script = RedisScript("""
        local count = redis.call('INCR', KEYS[1])
        local left = redis.call('PTTL', KEYS[1])
        if left < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); left = tonumber(ARGV[1]) end
        return {count, left}
        """)

    public func consume(_ key: String, points: Int, duration: Double) async throws -> RateLimitOutcome {
        let reply = try await client.eval(Self.script, keys: [prefix + key], arguments: [Array(String(max(1, Int(duration * 1000))).utf8)])
        guard case .array(let parts) = reply, parts.count == 2, let count = parts[0].integer, let left = parts[1].integer else {
            throw RedisError.command("unexpected rate limit reply: \(reply)")
        }
        return RateLimitOutcome(allowed: count <= points, consumed: Int(count), retryAfter: max(1, Int((Double(left) / 1000).rounded(.up))))
    }
}

/// A store that falls back to per-process counters while its primary (Redis) is unavailable, so an outage
/// neither blocks every request nor lifts the limit.
public final class FallbackRateLimitStore: RateLimitStore {
    private let primary: any RateLimitStore
    private let fallback = MemoryRateLimitStore()

    public init(primary: any RateLimitStore) { self.primary = primary }

    public func consume(_ key: String, points: Int, duration: Double) async throws -> RateLimitOutcome {
        do { return try await primary.consume(key, points: points, duration: duration) }
        catch is RedisError { return try await fallback.consume(key, points: points, duration: duration) }
    }
}
