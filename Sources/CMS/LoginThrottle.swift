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
    /// Takes one back from `key`'s count, if it has one.
    func release(_ key: String) async throws
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

    /// Counts one login attempt from `address` before its password is checked; the seconds until it may try
    /// again when that attempt is past the limit, nil when it may go on.
    func admit(_ address: String?) async throws -> Int? {
        guard let address, failuresPerAddress > 0 else { return nil }
        let attempts = try await counters.increment("login-failures:" + address, window: window)
        return attempts.count > failuresPerAddress ? max(1, attempts.secondsLeft) : nil
    }

    /// A successful login is not a failure: its attempt is taken back.
    func succeeded(_ address: String?) async throws {
        guard let address, failuresPerAddress > 0 else { return }
        try await counters.release("login-failures:" + address)
    }
}
