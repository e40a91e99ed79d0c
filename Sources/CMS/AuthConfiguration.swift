/// Token lifetimes and login behaviour (`ACCESS_TOKEN_TTL`, `REFRESH_TOKEN_TTL`, `SESSION_COOKIE_TTL`, `LOGIN_STALL_TIME`).
public struct AuthConfiguration: Sendable {
    public var secret: String
    /// Seconds.
    public var accessTokenTTL: Double = 15 * 60
    public var refreshTokenTTL: Double = 7 * 24 * 3600
    public var sessionCookieTTL: Double = 24 * 3600
    /// Every failed login takes at least this long, so timing does not reveal which emails exist.
    public var loginStallTime: Double = 0.5
    /// Failed logins allowed from one address within `loginFailureWindow` before it gets 429 (0 = no limit).
    public var loginFailuresPerAddress = 25
    /// Seconds.
    public var loginFailureWindow: Double = 15 * 60

    public init(secret: String) { self.secret = secret }
}
