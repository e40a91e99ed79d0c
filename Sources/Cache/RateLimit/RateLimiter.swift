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

/// Counts requests per key in fixed windows (as rate-limiter-flexible, which Directus uses). A `duration` of 0
/// keeps the count until it is reset (retryAfter 0), as rate-limiter-flexible's does.
public protocol RateLimitStore: Sendable {
    func consume(_ key: String, points: Int, duration: Double) async throws -> RateLimitOutcome
    /// The current window of `key` without counting; nil when nothing is counted.
    func peek(_ key: String) async throws -> (consumed: Int, retryAfter: Int)?
    /// Forgets `key`'s count.
    func reset(_ key: String) async throws
    /// Takes one back from `key`'s count in its current window (a counted attempt that turned out not to count).
    func release(_ key: String) async throws
}

extension RateLimitOutcome {
    /// Whole seconds until `resetAt` (at least 1), or 0 for a window without end.
    static func seconds(until resetAt: Double, from now: Double) -> Int {
        resetAt.isFinite ? max(1, Int((resetAt - now).rounded(.up))) : 0
    }
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
            var window: (count: Int, resetAt: Double) = windows[key].flatMap { $0.resetAt > now ? $0 : nil }
                ?? (0, duration > 0 ? now + duration : .infinity)
            window.count += 1
            windows[key] = window
            return RateLimitOutcome(allowed: window.count <= points, consumed: window.count,
                                    retryAfter: RateLimitOutcome.seconds(until: window.resetAt, from: now))
        }
    }

    public func peek(_ key: String) async throws -> (consumed: Int, retryAfter: Int)? {
        let now = Date().timeIntervalSince1970
        return windows.withLock { windows in
            guard let window = windows[key], window.resetAt > now else { return nil }
            return (window.count, RateLimitOutcome.seconds(until: window.resetAt, from: now))
        }
    }

    public func reset(_ key: String) async throws {
        _ = windows.withLock { $0.removeValue(forKey: key) }
    }

    public func release(_ key: String) async throws {
        windows.withLock { windows in
            if let window = windows[key], window.count > 0 { windows[key]!.count = window.count - 1 }
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

    /// KEYS[1] = counter, ARGV[1] = window in ms (0: none). Returns {count, ms left (-1: no end)}.
    static let script = RedisScript("""
        local count = redis.call('INCR', KEYS[1])
        local left = redis.call('PTTL', KEYS[1])
        if left < 0 and tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); left = tonumber(ARGV[1]) end
        return {count, left}
        """)

    /// KEYS[1] = counter. Returns {count or false, ms left}.
    static let peekScript = RedisScript("""
        return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
        """)

    /// KEYS[1] = counter: one less, never below zero, the window unchanged.
    static let releaseScript = RedisScript("""
        local count = tonumber(redis.call('GET', KEYS[1]) or '0')
        if count > 0 then return redis.call('DECR', KEYS[1]) end
        return 0
        """)

    public func consume(_ key: String, points: Int, duration: Double) async throws -> RateLimitOutcome {
        let milliseconds = duration > 0 ? max(1, Int(duration * 1000)) : 0
        let reply = try await client.eval(Self.script, keys: [prefix + key], arguments: [Array(String(milliseconds).utf8)])
        guard case .array(let parts) = reply, parts.count == 2, let count = parts[0].integer, let left = parts[1].integer else {
            throw RedisError.command("unexpected rate limit reply: \(reply)")
        }
        return RateLimitOutcome(allowed: count <= points, consumed: Int(count), retryAfter: Self.seconds(left))
    }

    public func peek(_ key: String) async throws -> (consumed: Int, retryAfter: Int)? {
        let reply = try await client.eval(Self.peekScript, keys: [prefix + key], arguments: [])
        guard case .array(let parts) = reply, !parts.isEmpty else { throw RedisError.command("unexpected rate limit reply: \(reply)") }
        guard let count = parts[0].integer else { return nil }
        return (Int(count), Self.seconds(parts.count > 1 ? parts[1].integer ?? -1 : -1))
    }

    public func reset(_ key: String) async throws {
        let reply = try await client.command(["DEL", prefix + key])
        if case .error(let message) = reply { throw RedisError.command(message) }
    }

    public func release(_ key: String) async throws {
        let reply = try await client.eval(Self.releaseScript, keys: [prefix + key], arguments: [])
        if case .error(let message) = reply { throw RedisError.command(message) }
    }

    /// Whole seconds from Redis's milliseconds left (PTTL; negative: no end → 0).
    private static func seconds(_ milliseconds: Int64) -> Int {
        RateLimitOutcome.seconds(until: milliseconds < 0 ? .infinity : Double(milliseconds) / 1000, from: 0)
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

    public func peek(_ key: String) async throws -> (consumed: Int, retryAfter: Int)? {
        do { return try await primary.peek(key) }
        catch is RedisError { return try await fallback.peek(key) }
    }

    public func reset(_ key: String) async throws {
        try? await fallback.reset(key)
        // Unreachable, Redis keeps its count until the window ends: the error is not the caller's to handle.
        do { try await primary.reset(key) }
        catch is RedisError {}
    }

    public func release(_ key: String) async throws {
        try? await fallback.release(key)
        do { try await primary.release(key) }
        catch is RedisError {}
    }
}
