/// A statement runner bound to one connection. Its calls block, so it only ever runs on a pool worker thread.
public protocol DatabaseConnection: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs a statement with `?` placeholders and returns its rows.
    func query(_ sql: String, _ binds: [DatabaseValue]) throws -> [Row]
    /// Runs a statement and returns the number of rows it changed.
    @discardableResult func execute(_ sql: String, _ binds: [DatabaseValue]) throws -> Int
}

extension DatabaseConnection {
    /// Runs `body` between `begin` and COMMIT; on error rolls back and lets `failure` refine the error
    /// (it runs after the rollback, outside the failed transaction).
    func inTransaction<T>(begin: String, _ body: (any DatabaseConnection) throws -> T,
                          failure: (DatabaseError) -> DatabaseError = { $0 }) throws -> T {
        try execute(begin)
        do {
            let result = try body(self)
            try execute("COMMIT")
            return result
        } catch {
            _ = try? execute("ROLLBACK")
            if let error = error as? DatabaseError { throw failure(error) }
            throw error
        }
    }

    public func query(_ sql: String) throws -> [Row] { try query(sql, []) }
    @discardableResult public func execute(_ sql: String) throws -> Int { try execute(sql, []) }
}

/// A pooled database: SQLite or PostgreSQL. Work runs on the database's own threads, never on an event loop.
public protocol Database: Sendable {
    var dialect: SQLDialect { get }
    /// Runs `body` on a connection for reads (SQLite: a read-only reader connection).
    func read<T: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T
    /// Runs `body` in one transaction on the writer; rolls back when it throws.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T
    /// Runs a schema change in one transaction. On SQLite foreign keys are off while it runs — a table
    /// rebuild drops and re-creates a table, which must not cascade to rows that reference it — and are
    /// checked before the commit.
    func schemaTransaction<T: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T
    /// Open and idle connections, for health checks.
    func poolStatus() async -> PoolStatus
    /// Closes every connection; later calls fail with `DatabaseError.closed`.
    func close() async
}

public struct PoolStatus: Sendable {
    public let open: Int
    public let idle: Int
    public let max: Int
}

extension Database {
    public func query(_ sql: String, _ binds: [DatabaseValue] = []) async throws -> [Row] {
        try await read { try $0.query(sql, binds) }
    }

    @discardableResult
    public func execute(_ sql: String, _ binds: [DatabaseValue] = []) async throws -> Int {
        try await transaction { try $0.execute(sql, binds) }
    }
}

/// How to reach the database.
public enum DatabaseConfiguration: Sendable, Equatable {
    /// SQLite file; `readers` read-only connections beside the single writer.
    case sqlite(path: String, readers: Int)
    /// libpq connection string and the maximum number of pooled connections.
    case postgres(connectionString: String, poolMax: Int)

    public var client: String {
        switch self {
        case .sqlite: "sqlite3"
        case .postgres: "pg"
        }
    }
}

/// Opens the configured database.
public func openDatabase(_ configuration: DatabaseConfiguration) async throws -> any Database {
    switch configuration {
    case .sqlite(let path, let readers):
        return try await SQLiteDatabase.open(path: path, readers: readers)
    case .postgres(let connectionString, let poolMax):
        return try await PostgresDatabase.open(connectionString: connectionString, poolMax: poolMax)
    }
}
