/// Errors of the database layer. Messages are for logs; `Server` never sends them to clients.
public enum DatabaseError: Error, Sendable, CustomStringConvertible {
    /// The database could not be reached or the connection broke.
    case unavailable(String)
    /// A constraint was violated; recognised from the driver's error codes.
    case constraint(ConstraintViolation)
    /// Any other failure of a statement.
    case statement(message: String, code: String)
    /// The pool was closed during shutdown.
    case closed

    public var description: String {
        switch self {
        case .unavailable(let m): "database unavailable: \(m)"
        case .constraint(let c): "constraint violation (\(c.kind)): \(c.message)"
        case .statement(let m, let code): "statement failed [\(code)]: \(m)"
        case .closed: "database pool is closed"
        }
    }
}

public struct ConstraintViolation: Sendable {
    public enum Kind: String, Sendable { case unique, notNull, foreignKey, valueTooLong, outOfRange, check }
    public let kind: Kind
    public let table: String?
    public let column: String?
    public let message: String
    /// The violated constraint's name, where the driver reports it.
    public var constraintName: String? = nil

    public init(kind: Kind, table: String?, column: String?, message: String, constraintName: String? = nil) {
        self.kind = kind
        self.table = table
        self.column = column
        self.message = message
        self.constraintName = constraintName
    }
}
