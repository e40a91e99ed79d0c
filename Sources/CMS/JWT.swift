import Crypto
import Foundation

/// Directus's access-token claims.
public struct TokenClaims: Sendable, Equatable {
    public var id: String?
    public var role: String?
    public var appAccess: Bool
    public var adminAccess: Bool
    /// The session token, only in `session` mode.
    public var session: String?
    public var issuedAt: Int
    public var expiresAt: Int

    public init(id: String?, role: String?, appAccess: Bool, adminAccess: Bool, session: String?, issuedAt: Int, expiresAt: Int) {
        self.id = id
        self.role = role
        self.appAccess = appAccess
        self.adminAccess = adminAccess
        self.session = session
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }
}

/// HS256 JSON Web Tokens signed with `SECRET`, issuer `directus`. The HMAC is swift-crypto's; this type only
/// frames it (base64url segments) and checks the claims.
public struct JWTSigner: Sendable {
    /// Seconds a token's `nbf`/`iat` may lie ahead of this clock (instances' clocks differ a little).
    static let clockSkew: Int64 = 60

    private let key: SymmetricKey

    public init(secret: String) { key = SymmetricKey(data: Data(secret.utf8)) }

    public func sign(_ claims: TokenClaims) -> String {
        let header = Self.base64url(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        var payload: [(String, JSONValue)] = [
            ("id", claims.id.map(JSONValue.string) ?? .null),
            ("role", claims.role.map(JSONValue.string) ?? .null),
            ("app_access", .bool(claims.appAccess)),
            ("admin_access", .bool(claims.adminAccess)),
        ]
        if let session = claims.session { payload.append(("session", .string(session))) }
        payload += [("iat", .int(Int64(claims.issuedAt))), ("exp", .int(Int64(claims.expiresAt))), ("iss", .string("directus"))]
        let body = Self.base64url(Data(JSONValue.object(payload).serialized()))
        let signature = HMAC<SHA256>.authenticationCode(for: Data("\(header).\(body)".utf8), using: key)
        return "\(header).\(body).\(Self.base64url(Data(signature)))"
    }

    /// Whether a token is a Directus JWT at all (three segments, issuer `directus`); anything else may be a static token.
    public static func isDirectusJWT(_ token: String) -> Bool {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = base64urlDecode(parts[1]),
              let payload = try? JSONValue.parse(data) else { return false }
        return payload["iss"]?.stringValue == "directus"
    }

    /// Verifies signature, algorithm and expiry. Bad signature or shape → INVALID_TOKEN; expired → TOKEN_EXPIRED.
    public func verify(_ token: String, now: Date = Date()) throws(CMSError) -> TokenClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerData = Self.base64urlDecode(parts[0]), let header = try? JSONValue.parse(headerData),
              header["alg"]?.stringValue == "HS256",
              let signature = Self.base64urlDecode(parts[2]),
              HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Data("\(parts[0]).\(parts[1])".utf8), using: key),
              let payloadData = Self.base64urlDecode(parts[1]), let payload = try? JSONValue.parse(payloadData),
              payload["iss"]?.stringValue == "directus"
        else { throw .invalidToken }
        guard case .int(let exp)? = payload["exp"] else { throw .invalidToken }
        let seconds = Int64(now.timeIntervalSince1970)
        if seconds >= exp { throw .tokenExpired }
        // Not valid yet, or issued in the future past the clock skew another instance may have.
        for claim in ["nbf", "iat"] {
            guard let value = payload[claim] else { continue }
            let time: Double
            switch value {
            case .int(let i): time = Double(i)
            case .double(let d): time = d
            default: throw .invalidToken
            }
            if time > Double(seconds + Self.clockSkew) { throw .invalidToken }
        }
        // Directus refuses tokens that lack these claims.
        guard let role = payload["role"], let app = payload["app_access"]?.boolValue,
              let admin = payload["admin_access"]?.boolValue else { throw .invalidToken }
        var iat = 0
        if case .int(let i)? = payload["iat"] { iat = Int(i) }
        return TokenClaims(id: payload["id"]?.stringValue, role: role.stringValue, appAccess: app, adminAccess: admin,
                           session: payload["session"]?.stringValue, issuedAt: iat, expiresAt: Int(exp))
    }

    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64urlDecode(_ text: some StringProtocol) -> Data? {
        var bytes = text.utf8.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: "+") : $0 == UInt8(ascii: "_") ? UInt8(ascii: "/") : $0 }
        while bytes.count % 4 != 0 { bytes.append(UInt8(ascii: "=")) }
        return Data(base64Encoded: Data(bytes))
    }
}

/// Random identifiers: refresh tokens (nanoid alphabet, as Directus) and UUIDs.
public enum RandomToken {
    private static let alphabet = Array("useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict".utf8)

    public static func nanoid(_ length: Int = 64) -> String {
        var rng = SystemRandomNumberGenerator()
        return String(decoding: (0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }, as: UTF8.self)
    }

    public static func uuid() -> String { UUID().uuidString.lowercased() }
}
