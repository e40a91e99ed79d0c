import Logging

/// One schema change, applied once and recorded in `directus_migrations`.
public struct Migration: Sendable {
    public let version: String
    public let name: String
    public let up: @Sendable (any DatabaseConnection) throws -> Void
}

/// Applies pending migrations. Safe to run from several processes at once: every run holds the database's
/// write lock (SQLite `BEGIN IMMEDIATE`, PostgreSQL advisory lock) while it reads and extends the record.
public enum Migrator {
    static let migrations: [Migration] = [
        Migration(version: "20261122A", name: "Create system tables") { connection in
            for table in SystemTables.all { try connection.execute(table.createSQL(connection.dialect)) }
            for (table, columns) in SystemTables.indexes {
                let name = "\(table)_\(columns.joined(separator: "_"))_index"
                let cols = columns.map(connection.dialect.quote).joined(separator: ", ")
                try connection.execute("CREATE INDEX IF NOT EXISTS \(connection.dialect.quote(name)) ON \(connection.dialect.quote(table)) (\(cols))")
            }
        },
        Migration(version: "20261122B", name: "Create depot_derivatives") { connection in
            let d = connection.dialect
            try connection.execute(SystemTables.derivatives.createSQL(d))
            try connection.execute("CREATE UNIQUE INDEX IF NOT EXISTS \(d.quote("depot_derivatives_file_hash_index")) ON \(d.quote("depot_derivatives")) (\(d.quote("file")), \(d.quote("hash")))")
        },
        Migration(version: "20261122C", name: "Create depot_pending_uploads") { connection in
            let d = connection.dialect
            try connection.execute(SystemTables.pendingUploads.createSQL(d))
            try connection.execute("CREATE INDEX IF NOT EXISTS \(d.quote("depot_pending_uploads_storage_key_index")) ON \(d.quote("depot_pending_uploads")) (\(d.quote("storage")), \(d.quote("key")))")
        },
        // A database Directus made already has these tables: IF NOT EXISTS leaves them as they are.
        Migration(version: "20261203A", name: "Create translations, presets, comments, notifications, shares, dashboards, panels and versions") { connection in
            for table in SystemTables.clientCollections { try connection.execute(table.createSQL(connection.dialect)) }
        },
    ]

    /// The migration record's own table, as Directus has it.
    static let recordTable = TableSpec("directus_migrations", [
        string("version").primaryKey(), string("name").notNull(), timestamp("timestamp").defaults(.now),
    ])

    /// Applies what is missing; returns the versions applied by this call.
    @discardableResult
    public static func migrate(_ database: any Database, logger: Logger) async throws -> [String] {
        let applied = try await database.transaction { connection -> [String] in
            if connection.dialect == .postgres {
                // Serialises concurrent migrators; released at COMMIT/ROLLBACK.
                _ = try connection.query("SELECT pg_advisory_xact_lock(7305210442)")
            }
            try connection.execute(recordTable.createSQL(connection.dialect))
            let done = Set(try connection.query("SELECT version FROM directus_migrations").compactMap { $0["version"].string })
            var applied: [String] = []
            for migration in migrations where !done.contains(migration.version) {
                try migration.up(connection)
                try connection.execute("INSERT INTO directus_migrations (version, name) VALUES (?, ?)", [.text(migration.version), .text(migration.name)])
                applied.append(migration.version)
            }
            return applied
        }
        for version in applied { logger.info("applied migration \(version)") }
        return applied
    }

    /// Versions this build knows, newest last.
    public static var knownVersions: [String] { migrations.map(\.version) }
}
