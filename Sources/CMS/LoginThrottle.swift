import Foundation
import Synchronization

/// Failed-login bookkeeping in memory (the Redis-backed limiter of the cache issue replaces it across instances):
/// attempts per account, counted toward `auth_login_attempts`, and failures per client address within a window.
final class LoginThrottle: Sendable {
    private struct State {
        var attempts: [String: Int] = [:]
        var failures: [String: (count: Int, since: Date)] = [:]
    }
    private let state = Mutex(State())
    let failuresPerAddress: Int
    let window: TimeInterval
    /// Entries kept before expired ones are swept, so a flood of addresses can't grow memory without bound.
    private static let sweepAt = 10_000

    init(failuresPerAddress: Int, window: TimeInterval) {
        self.failuresPerAddress = failuresPerAddress
        self.window = window
    }

    /// Counts one login attempt on `user`; returns the attempts since the last success.
    func attempt(user: String) -> Int {
        state.withLock { state in
            if state.attempts.count > Self.sweepAt { state.attempts.removeAll() }
            state.attempts[user, default: 0] += 1
            return state.attempts[user]!
        }
    }

    func succeeded(user: String) { state.withLock { _ = $0.attempts.removeValue(forKey: user) } }

    /// Seconds until `address` may try again, or nil when it may now.
    func blocked(_ address: String?, now: Date = Date()) -> Int? {
        guard let address, failuresPerAddress > 0 else { return nil }
        return state.withLock { state in
            guard let entry = state.failures[address], now.timeIntervalSince(entry.since) < window, entry.count >= failuresPerAddress else { return nil }
            return max(1, Int((window - now.timeIntervalSince(entry.since)).rounded(.up)))
        }
    }

    func failed(_ address: String?, now: Date = Date()) {
        guard let address, failuresPerAddress > 0 else { return }
        state.withLock { state in
            if state.failures.count > Self.sweepAt { state.failures = state.failures.filter { now.timeIntervalSince($0.value.since) < window } }
            if let entry = state.failures[address], now.timeIntervalSince(entry.since) < window {
                state.failures[address] = (entry.count + 1, entry.since)
            } else {
                state.failures[address] = (1, now)
            }
        }
    }
}
