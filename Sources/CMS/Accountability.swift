/// Who is calling: every service call carries it, and permission checks read it.
public struct Accountability: Sendable, Equatable {
    public var user: String?
    public var role: String?
    public var admin: Bool
    public var app: Bool
    public var ip: String?
    public var userAgent: String?

    public init(user: String? = nil, role: String? = nil, admin: Bool = false, app: Bool = false, ip: String? = nil, userAgent: String? = nil) {
        self.user = user
        self.role = role
        self.admin = admin
        self.app = app
        self.ip = ip
        self.userAgent = userAgent
    }

    /// An unauthenticated caller: the public policy applies.
    public static func publicCaller(ip: String? = nil, userAgent: String? = nil) -> Accountability {
        Accountability(ip: ip, userAgent: userAgent)
    }

    public var isAuthenticated: Bool { user != nil }
}
