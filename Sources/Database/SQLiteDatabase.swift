import Foundation
import NIOPosix

/// SQLite in WAL mode: one writer connection (writes serialise in the pool, not on SQLite's busy lock)
/// and a pool of read-only readers that run beside it.
public final class SQLiteDatabase: Database {
    public let dialect = SQLDialect.sqlite
    let writer: ConnectionPool<SQLiteConnection>
    let readers: ConnectionPool<SQLiteConnection>
    private let threads: NIOThreadPool

    static func open(path: String, readers readerCount: Int) async throws -> SQLiteDatabase {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let threads = NIOThreadPool(numberOfThreads: readerCount + 1)
        threads.start()
        let db = SQLiteDatabase(path: path, readers: max(1, readerCount), threads: threads)
        // Open the writer first so that WAL mode is set before any reader connects.
        do {
            try await db.writer.withConnection { _ in }
        } catch {
            try? await threads.shutdownGracefully()
            throw error
        }
        return db
    }

    private init(path: String, readers: Int, threads: NIOThreadPool) {
        self.threads = threads
        writer = ConnectionPool(maxConnections: 1, threads: threads) { try SQLiteConnection(path: path, reader: false) }
        self.readers = ConnectionPool(maxConnections: readers, threads: threads) { try SQLiteConnection(path: path, reader: true) }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T {
        try await readers.withConnection { try body($0) }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T {
        // IMMEDIATE takes the write lock up front, so two processes on one file serialise instead of deadlocking.
        try await writer.withConnection { try $0.inTransaction(begin: "BEGIN IMMEDIATE", body) }
    }

    public func schemaTransaction<T: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T {
        // The pragma is a no-op inside a transaction, so it is switched around BEGIN … COMMIT on the writer.
        try await writer.withConnection { connection in
            try connection.execute("PRAGMA foreign_keys = OFF")
            defer { _ = try? connection.execute("PRAGMA foreign_keys = ON") }
            return try connection.inTransaction(begin: "BEGIN IMMEDIATE") { connection in
                let result = try body(connection)
                if let broken = try connection.query("PRAGMA foreign_key_check").first {
                    // The check names the broken key by its place in the table's list of foreign keys.
                    let column = try broken["table"].string.flatMap { table in
                        try connection.query("SELECT \"from\" FROM pragma_foreign_key_list(?) WHERE id = ?", [.text(table), broken["fkid"]]).first?["from"].string
                    }
                    throw DatabaseError.constraint(ConstraintViolation(kind: .foreignKey, table: broken["table"].string, column: column,
                                                                       message: "foreign key check failed after a schema change"))
                }
                return result
            }
        }
    }

    public func poolStatus() async -> PoolStatus {
        let w = await writer.status(), r = await readers.status()
        return PoolStatus(open: w.open + r.open, idle: w.idle + r.idle, max: w.max + r.max)
    }

    public func close() async {
        await readers.close()
        await writer.close()
        try? await threads.shutdownGracefully()
    }
}
