import Database
import Foundation
import Logging

/// Tokens issued by a login or a refresh.
public struct IssuedTokens: Sendable {
    public let accessToken: String
    public let refreshToken: String
    /// Lifetime of the access token in milliseconds, as Directus's `expires`.
    public let expiresMs: Int
}

public enum LoginMode: String, Sendable { case json, cookie, session }

/// Login, refresh (with rotation), logout, and turning a presented token into an `Accountability`.
public final class AuthenticationService: Sendable {
    private let database: any Database
    private let hasher: PasswordHasher
    private let signer: JWTSigner
    private let configuration: AuthConfiguration
    private let permissions: PermissionsResolver
    private let logger: Logger
    private let verified = VerifiedTokens()
    private let throttle: LoginThrottle

    /// `counters` keep failed logins: per process, or shared by instances.
    public init(database: any Database, hasher: PasswordHasher, configuration: AuthConfiguration,
                permissions: PermissionsResolver, counters: any LoginCounters, logger: Logger) {
        self.database = database
        self.hasher = hasher
        self.signer = JWTSigner(secret: configuration.secret)
        self.configuration = configuration
        self.permissions = permissions
        self.logger = logger
        self.throttle = LoginThrottle(counters: counters, failuresPerAddress: configuration.loginFailuresPerAddress,
                                      window: configuration.loginFailureWindow)
    }

    public func login(email: String, password: String, mode: LoginMode, context: Accountability) async throws -> IssuedTokens {
        let started = ContinuousClock.now
        // Counted before the password is checked, so parallel attempts can't all pass a check made before any failed.
        if let retryAfter = try await throttle.admit(context.ip) {
            throw CMSError(code: "REQUESTS_EXCEEDED", status: 429, message: "Too many failed logins, retry after \(retryAfter)s.", retryAfter: retryAfter)
        }
        do {
            let tokens = try await attemptLogin(email: email, password: password, mode: mode, context: context)
            try? await throttle.succeeded(context.ip)
            return tokens
        } catch let error as CMSError where error.status == 401 {
            // Pad every failure to the same minimum duration (Directus's LOGIN_STALL_TIME).
            let remaining = Duration.seconds(configuration.loginStallTime) - (ContinuousClock.now - started)
            if remaining > .zero { try? await Task.sleep(for: remaining) }
            throw error
        }
    }

    private func attemptLogin(email: String, password: String, mode: LoginMode, context: Accountability) async throws -> IssuedTokens {
        let rows = try await database.query(
            "SELECT id, password, status, role FROM directus_users WHERE LOWER(email) = ? AND provider = 'default'",
            [.text(email.lowercased())])
        guard let user = rows.first, let hash = user["password"].string else {
            // Spend the same work as a real check, so an unknown email is not faster.
            _ = try await hasher.verify(password, against: Self.decoyHash)
            throw CMSError.invalidCredentials
        }
        let userID = user["id"].string ?? ""
        var status = user["status"].string
        if status == "active", try await exhaustedAttempts(userID) { status = "suspended" }
        guard try await hasher.verify(password, against: hash) else { throw CMSError.invalidCredentials }
        // The status is told only to whoever knows the password.
        switch status {
        case "active": break
        case "suspended": throw CMSError.userSuspended
        default: throw CMSError.invalidCredentials
        }
        try await throttle.succeeded(user: userID)
        let flags = try await flags(user: userID, role: user["role"].string, ip: context.ip)
        let refresh = RandomToken.nanoid()
        let now = Date()
        let sessionTTL = mode == .session ? configuration.sessionCookieTTL : configuration.refreshTokenTTL
        try await database.transaction { connection in
            try connection.execute("DELETE FROM directus_sessions WHERE expires < ?", [.timestamp(now)], writing: "directus_sessions")
            try connection.execute(
                "INSERT INTO directus_sessions (token, \"user\", expires, ip, user_agent) VALUES (?, ?, ?, ?, ?)",
                [.text(refresh), .text(userID), .timestamp(now.addingTimeInterval(sessionTTL)),
                 .optional(context.ip), .optional(context.userAgent)], writing: "directus_sessions")
            try connection.execute("UPDATE directus_users SET last_access = ? WHERE id = ?", [.timestamp(now), .text(userID)], writing: "directus_users")
            try connection.execute(
                "INSERT INTO directus_activity (action, \"user\", timestamp, ip, user_agent, collection, item) VALUES ('login', ?, ?, ?, ?, 'directus_users', ?)",
                [.text(userID), .timestamp(now), .optional(context.ip), .optional(context.userAgent), .text(userID)], writing: "directus_activity")
        }
        return issue(user: userID, role: user["role"].string, flags: flags, refresh: refresh, mode: mode, now: now)
    }

    /// Exchanges a refresh token for a new pair; the old refresh token stops working at once.
    public func refresh(_ token: String, mode: LoginMode) async throws -> IssuedTokens {
        let now = Date()
        let rows = try await database.query(
            """
            SELECT s.token, s.expires, u.id, u.role, u.status FROM directus_sessions s
            JOIN directus_users u ON u.id = s."user" WHERE s.token = ?
            """, [.text(token)])
        guard let row = rows.first, let userID = row["id"].string,
              let expires = row["expires"].string.flatMap(ISO8601.date(from:)), expires > now
        else { throw CMSError.invalidCredentials }
        if row["status"].string != "active" {
            try await database.execute("DELETE FROM directus_sessions WHERE token = ?", [.text(token)], writing: "directus_sessions")
            throw row["status"].string == "suspended" ? CMSError.userSuspended : CMSError.invalidCredentials
        }
        let next = RandomToken.nanoid()
        let ttl = mode == .session ? configuration.sessionCookieTTL : configuration.refreshTokenTTL
        // Conditional on the old token: of two concurrent refreshes with one token, only one wins.
        let changed = try await database.execute(
            "UPDATE directus_sessions SET token = ?, expires = ? WHERE token = ?",
            [.text(next), .timestamp(now.addingTimeInterval(ttl)), .text(token)], writing: "directus_sessions")
        guard changed == 1 else { throw CMSError.invalidCredentials }
        let flags = try await flags(user: userID, role: row["role"].string, ip: nil)
        return issue(user: userID, role: row["role"].string, flags: flags, refresh: next, mode: mode, now: now)
    }

    /// Counts a login attempt on an active account; past `auth_login_attempts` the account is suspended (as
    /// Directus does) and the count starts again, so a re-activated user may log in.
    private func exhaustedAttempts(_ user: String) async throws -> Bool {
        let attempts = try await throttle.attempt(user: user)
        let limit = try await database.query("SELECT auth_login_attempts FROM directus_settings ORDER BY id LIMIT 1").first?["auth_login_attempts"].int ?? 25
        guard limit > 0, attempts > limit else { return false }
        try await database.execute("UPDATE directus_users SET status = 'suspended' WHERE id = ?", [.text(user)], writing: "directus_users")
        try await throttle.succeeded(user: user)
        permissions.invalidate()
        logger.warning("suspended a user after too many failed logins", metadata: ["user": "\(user)"])
        return true
    }

    private func flags(user: String, role: String?, ip: String?) async throws -> GlobalFlags {
        let resolved = try await permissions.permissions(for: Accountability(user: user, role: role, ip: ip))
        return GlobalFlags(admin: resolved.admin, app: resolved.app)
    }

    /// Ends the session of a refresh token. Unknown tokens are ignored, as in Directus.
    public func logout(_ token: String) async throws {
        try await database.execute("DELETE FROM directus_sessions WHERE token = ?", [.text(token)], writing: "directus_sessions")
    }

    /// The caller behind a token: a Directus JWT, or else a user's static token.
    public func accountability(forToken token: String, ip: String?, userAgent: String?) async throws -> Accountability {
        let cached = verified.claims(token, now: Int(Date().timeIntervalSince1970))
        if cached != nil || JWTSigner.isDirectusJWT(token) {
            let claims = try cached ?? signer.verify(token)
            if cached == nil { verified.insert(token, claims) }
            if let session = claims.session {
                let rows = try await database.query("SELECT expires FROM directus_sessions WHERE token = ?", [.text(session)])
                guard let expires = rows.first?["expires"].string.flatMap(ISO8601.date(from:)), expires > Date() else {
                    throw CMSError.invalidCredentials
                }
            }
            // Depot issues tokens for users only.
            guard let id = claims.id else { throw CMSError.invalidCredentials }
            return try await current(id, ip: ip, userAgent: userAgent)
        }
        guard !token.isEmpty else { throw CMSError.invalidCredentials }
        guard let id = try await permissions.staticTokenUser(token) else { throw CMSError.invalidCredentials }
        return try await current(id, ip: ip, userAgent: userAgent)
    }

    /// The caller as the user is now, not as the token was issued: a deleted or no longer active user's tokens
    /// stop working at once, and a changed role or policy applies at the next request.
    private func current(_ user: String, ip: String?, userAgent: String?) async throws -> Accountability {
        guard let account = try await permissions.account(user) else { throw CMSError.invalidCredentials }
        guard account.status == "active" else { throw account.status == "suspended" ? CMSError.userSuspended : CMSError.invalidCredentials }
        var caller = Accountability(user: user, role: account.role, ip: ip, userAgent: userAgent)
        let resolved = try await permissions.permissions(for: caller)
        caller.admin = resolved.admin
        caller.app = resolved.app
        return caller
    }

    private func issue(user: String, role: String?, flags: GlobalFlags, refresh: String, mode: LoginMode, now: Date) -> IssuedTokens {
        let ttl = mode == .session ? configuration.sessionCookieTTL : configuration.accessTokenTTL
        let iat = Int(now.timeIntervalSince1970)
        let claims = TokenClaims(id: user, role: role, appAccess: flags.app, adminAccess: flags.admin,
                                 session: mode == .session ? refresh : nil, issuedAt: iat, expiresAt: iat + Int(ttl))
        return IssuedTokens(accessToken: signer.sign(claims), refreshToken: refresh, expiresMs: Int(ttl * 1000))
    }

    /// A well-formed argon2id hash (default parameters) that matches no password: checked when the email is unknown.
    private static let decoyHash = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$RdescudvJCsgt3ub+b+dWRWJTmaaJObG8w7NyFjzjXA"
}

extension AuthenticationService {
    /// The refresh (session) token carried by a session-mode JWT. Its signature must hold; its expiry may have
    /// passed, since refreshing an expired session cookie is the point.
    public func sessionToken(inSessionJWT token: String) throws(CMSError) -> String? {
        do {
            return try signer.verify(token).session
        } catch let error where error == .tokenExpired {
            return try signer.verify(token, now: .distantPast).session
        }
    }
}
