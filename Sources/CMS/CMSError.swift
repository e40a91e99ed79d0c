import Database

/// An error the caller may see, in Directus's vocabulary: a code, an HTTP status and a human sentence.
/// Messages never contain SQL, file paths or stack traces.
public struct CMSError: Error, Sendable, Equatable {
    public let code: String
    public let status: Int
    public let message: String
    /// Extra fields placed next to `code` in `extensions`.
    public let extensions: [String: String]
    /// Seconds for the `Retry-After` header of a 429/503 (1 when not given).
    public let retryAfter: Int?

    public init(code: String, status: Int, message: String, extensions: [String: String] = [:], retryAfter: Int? = nil) {
        self.code = code
        self.status = status
        self.message = message
        self.extensions = extensions
        self.retryAfter = retryAfter
    }

    public static func invalidPayload(_ reason: String) -> CMSError {
        CMSError(code: "INVALID_PAYLOAD", status: 400, message: "Invalid payload. \(reason).", extensions: ["reason": reason])
    }
    public static func invalidQuery(_ reason: String) -> CMSError {
        CMSError(code: "INVALID_QUERY", status: 400, message: "Invalid query. \(reason).", extensions: ["reason": reason])
    }
    public static let invalidCredentials = CMSError(code: "INVALID_CREDENTIALS", status: 401, message: "Invalid user credentials.")
    public static let tokenExpired = CMSError(code: "TOKEN_EXPIRED", status: 401, message: "Token expired.")
    public static let invalidToken = CMSError(code: "INVALID_TOKEN", status: 403, message: "Invalid token.")
    public static let userSuspended = CMSError(code: "USER_SUSPENDED", status: 401, message: "User suspended.")
    public static let forbidden = CMSError(code: "FORBIDDEN", status: 403, message: "You don't have permission to access this.")
    /// A field the caller may not read or write (or that does not exist: the two are not told apart).
    public static func forbiddenField(_ field: String, _ collection: String) -> CMSError {
        CMSError(code: "FORBIDDEN", status: 403, message: "You don't have permission to access field \"\(field)\" in collection \"\(collection)\" or it does not exist.")
    }
    /// A written item outside the caller's `validation` rule.
    public static func failedValidation(field: String, type: String?) -> CMSError {
        var extensions = ["field": field]
        if let type { extensions["type"] = type }
        return CMSError(code: "FAILED_VALIDATION", status: 400, message: "Validation failed for field \"\(field)\".", extensions: extensions)
    }
    public static func unprocessable(_ reason: String) -> CMSError {
        CMSError(code: "UNPROCESSABLE_CONTENT", status: 422, message: "Can't process content. \(reason).", extensions: ["reason": reason])
    }
    public static func serviceUnavailable(_ service: String, _ reason: String) -> CMSError {
        CMSError(code: "SERVICE_UNAVAILABLE", status: 503, message: "Service \"\(service)\" is unavailable. \(reason).",
                 extensions: ["service": service, "reason": reason])
    }
}

extension CMSError {
    /// Runs `body`, turning a constraint violation into its Directus error for `collection`.
    static func mappingConstraints<T>(of collection: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch DatabaseError.constraint(let violation) {
            throw CMSError.constraint(violation, collection: collection)
        }
    }

    /// Runs `body`, a statement writing `values` into `collection` on `connection`, turning a constraint violation
    /// into its Directus error; a foreign key the database did not name is found from the written values.
    static func mappingConstraints<T>(of collection: String, writing values: [(String, DatabaseValue)], on connection: any DatabaseConnection,
                                      _ body: () throws -> T) throws -> T {
        do { return try body() } catch DatabaseError.constraint(let violation) {
            guard violation.kind == .foreignKey, violation.column == nil,
                  let field = try? ForeignKeyProbe.field(values, table: collection, on: connection)
            else { throw CMSError.constraint(violation, collection: collection) }
            throw CMSError.constraint(ConstraintViolation(kind: .foreignKey, table: violation.table ?? collection, column: field,
                                                          message: violation.message, constraintName: violation.constraintName), collection: collection)
        }
    }

    /// A database constraint violation in Directus's codes, with the collection and field it concerns.
    public static func constraint(_ violation: ConstraintViolation, collection: String) -> CMSError {
        let field = violation.column ?? ""
        let ext = ["collection": violation.table ?? collection, "field": field]
        switch violation.kind {
        case .unique:
            return CMSError(code: "RECORD_NOT_UNIQUE", status: 400, message: "Value for field \"\(field)\" in collection \"\(collection)\" has to be unique.", extensions: ext)
        case .notNull:
            return CMSError(code: "NOT_NULL_VIOLATION", status: 400, message: "Value for field \"\(field)\" in collection \"\(collection)\" can't be null.", extensions: ext)
        case .foreignKey:
            return CMSError(code: "INVALID_FOREIGN_KEY", status: 400, message: "Invalid foreign key for field \"\(field)\" in collection \"\(collection)\".", extensions: ext)
        case .valueTooLong:
            return CMSError(code: "VALUE_TOO_LONG", status: 400, message: "Value for field \"\(field)\" in collection \"\(collection)\" is too long.", extensions: ext)
        case .outOfRange:
            return CMSError(code: "VALUE_OUT_OF_RANGE", status: 400, message: "Numeric value for field \"\(field)\" in collection \"\(collection)\" is out of range.", extensions: ext)
        case .check:
            return CMSError(code: "FAILED_VALIDATION", status: 400, message: "Validation failed for field \"\(field)\".", extensions: ext)
        }
    }
}
