import NIOPosix

/// PostgreSQL through libpq: a pool of up to `poolMax` connections, each blocking call on the pool's own threads.
public final class PostgresDatabase: Database {
    public let dialect = SQLDialect.postgres
    let pool: ConnectionPool<PostgresConnection>
    private let threads: NIOThreadPool

    static func open(connectionString: String, poolMax: Int) async throws -> PostgresDatabase {
        let threads = NIOThreadPool(numberOfThreads: max(1, poolMax))
        threads.start()
        let db = PostgresDatabase(connectionString: connectionString, poolMax: max(1, poolMax), threads: threads)
        do {
            _ = try await db.query("SELECT 1")
        } catch {
            await db.close()
            throw error
        }
        return db
    }

    private init(connectionString: String, poolMax: Int, threads: NIOThreadPool) {
        self.threads = threads
        pool = ConnectionPool(maxConnections: poolMax, threads: threads) {
            try PostgresConnection(connectionString: connectionString)
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T {
        try await pool.withConnection { try body($0) }
    }

    /// PostgreSQL alters tables in place: an ordinary transaction (DDL is transactional).
    public func schemaTransaction<T: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T {
        try await transaction(body)
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T {
        // The catalog can name a violated constraint's column only once the failed transaction is rolled back.
        try await pool.withConnection { connection in
            try connection.inTransaction(begin: "BEGIN", body, failure: connection.completeColumn)
        }
    }

    public func poolStatus() async -> PoolStatus { await pool.status() }

    public func close() async {
        await pool.close()
        try? await threads.shutdownGracefully()
    }
}
