import Foundation

/// Counters in fixed windows, kept where `Server` decides: in this process, or in Redis so that every instance
/// counts the same failed logins.
public protocol LoginCounters: Sendable {
    /// Counts one on `key`; a new count lives `window` seconds (0: until reset). Returns the count and the
    /// seconds left of its window.
    func increment(_ key: String, window: Double) async throws -> (count: Int, secondsLeft: Int)
    /// The count of `key` now, without counting; nil when there is none.
    func current(_ key: String) async throws -> (count: Int, secondsLeft: Int)?
    func reset(_ key: String) async throws
}

/// Failed-login bookkeeping: attempts per account, counted toward `auth_login_attempts` until a success (as
/// Directus), and failures per client address within a window.
struct LoginThrottle: Sendable {
    let counters: any LoginCounters
    let failuresPerAddress: Int
    let window: TimeInterval

    /// Counts one login attempt on `user`; returns the attempts since the last success.
    func attempt(user: String) async throws -> Int {
        try await counters.increment("login-attempts:" + user, window: 0).count
    }

    func succeeded(user: String) async throws {
        try await counters.reset("login-attempts:" + user)
    }

    /// Seconds until `address` may try again, or nil when it may now.
    func blocked(_ address: String?) async throws -> Int? {
        guard let address, failuresPerAddress > 0,
              let failures = try await counters.current("login-failures:" + address), failures.count >= failuresPerAddress
        else { return nil }
        return max(1, failures.secondsLeft)
    }

    func failed(_ address: String?) async throws {
        guard let address, failuresPerAddress > 0 else { return }
        _ = try await counters.increment("login-failures:" + address, window: window)
    }
}
