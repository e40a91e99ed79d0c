/// An asset request that cannot be answered as asked, in Directus's vocabulary (code, HTTP status, sentence).
public struct AssetsError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let status: Int
    public let message: String
    /// Seconds a client should wait before asking again (503 answers).
    public let retryAfter: Int?

    init(code: String, status: Int, message: String, retryAfter: Int? = nil) {
        self.code = code
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code): \(message)" }

    /// A transform the settings, the limits or the operation list do not allow.
    static func illegal(_ message: String) -> AssetsError {
        AssetsError(code: "ILLEGAL_ASSET_TRANSFORMATION", status: 400, message: message)
    }

    static func invalidQuery(_ message: String) -> AssetsError {
        AssetsError(code: "INVALID_QUERY", status: 400, message: message)
    }

    /// The stored file is not an image libvips can read (corrupt, truncated, unsupported, too many pixels).
    static func unreadable(_ detail: String) -> AssetsError {
        AssetsError(code: "ILLEGAL_ASSET_TRANSFORMATION", status: 400, message: "The file can't be transformed: \(detail).")
    }

    static let queueFull = AssetsError(code: "SERVICE_UNAVAILABLE", status: 503,
                                       message: "Server too busy: too many image transformations are waiting.", retryAfter: 2)
    static let timedOut = AssetsError(code: "SERVICE_UNAVAILABLE", status: 503,
                                      message: "The image transformation took too long.", retryAfter: 5)
}

extension AssetsError {
    /// No such file, or the caller may not read it: Directus answers both alike.
    public static let forbidden = AssetsError(code: "FORBIDDEN", status: 403, message: "You don't have permission to access this.")
}
