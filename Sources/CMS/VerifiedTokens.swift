import Synchronization

/// Claims of JWTs whose signature was already checked, so a client's every request does not pay for base64,
/// JSON and HMAC again. A JWT can't change, so a cached entry is as good as a fresh check; its expiry is still
/// compared on every use, and the table is bounded (emptied when full).
final class VerifiedTokens: Sendable {
    private let entries = Mutex<[String: TokenClaims]>([:])
    private let capacity: Int

    init(capacity: Int = 4096) { self.capacity = capacity }

    /// The claims of `token` if it was verified before and has not expired at `now` (seconds since 1970).
    func claims(_ token: String, now: Int) -> TokenClaims? {
        entries.withLock { table in
            guard let claims = table[token] else { return nil }
            if claims.expiresAt <= now { table[token] = nil; return nil }
            return claims
        }
    }

    func insert(_ token: String, _ claims: TokenClaims) {
        entries.withLock { table in
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[token] = claims
        }
    }
}
