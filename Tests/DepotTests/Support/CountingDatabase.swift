import Database
import Synchronization

/// A database that counts the statements run through it, to hold the query compiler to a constant number
/// of queries per request (no N+1).
final class CountingDatabase: Database {
    let base: any Database
    private let counter = Mutex(0)

    init(_ base: any Database) { self.base = base }

    var statements: Int { counter.withLock { $0 } }
    func reset() { counter.withLock { $0 = 0 } }

    var dialect: SQLDialect { base.dialect }

    func read<T: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T {
        try await base.read { try body(CountingConnection(base: $0, owner: self)) }
    }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T {
        try await base.transaction { try body(CountingConnection(base: $0, owner: self)) }
    }

    func schemaTransaction<T: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T {
        try await base.schemaTransaction { try body(CountingConnection(base: $0, owner: self)) }
    }

    func poolStatus() async -> PoolStatus { await base.poolStatus() }
    func close() async { await base.close() }

    fileprivate func count() { counter.withLock { $0 += 1 } }
}

private final class CountingConnection: DatabaseConnection {
    let base: any DatabaseConnection
    let owner: CountingDatabase

    init(base: any DatabaseConnection, owner: CountingDatabase) {
        self.base = base
        self.owner = owner
    }

    var dialect: SQLDialect { base.dialect }

    func query(_ sql: String, _ binds: [DatabaseValue]) throws -> [Row] {
        owner.count()
        return try base.query(sql, binds)
    }

    func execute(_ sql: String, _ binds: [DatabaseValue]) throws -> Int {
        owner.count()
        return try base.execute(sql, binds)
    }
}
