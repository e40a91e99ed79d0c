import Foundation
import Logging

/// One change to Depot's own tables, applied once and recorded in `depot_migrations`.
public struct Migration: Sendable {
    public let version: String
    public let name: String
    public let up: @Sendable (any DatabaseConnection) throws -> Void
}

/// Brings a database to what Depot needs, and refuses one it cannot use.
///
/// Directus's tables are Directus's: on an empty database Depot creates them exactly as Directus 11.17.4 does and
/// records Directus's migration versions, so Directus sees a migrated database; on a database Directus made at
/// 11.17 or later Depot changes nothing of them. Depot's own tables and their record (`depot_migrations`) are
/// the only ones it migrates. Safe to run from several processes at once: every run holds the database's write
/// lock (SQLite `BEGIN IMMEDIATE`, PostgreSQL advisory lock) while it reads and extends the records.
public enum Migrator {
    static let migrations: [Migration] = [
        Migration(version: "20261203D", name: "Create depot_derivatives") { try create(SystemTables.derivatives, on: $0) },
        Migration(version: "20261203E", name: "Create depot_pending_uploads") { try create(SystemTables.pendingUploads, on: $0) },
    ]

    /// Versions of Depot's own migrations this build knows, newest last.
    public static var knownVersions: [String] { migrations.map(\.version) }

    /// Creates what is missing; returns the versions of Depot's migrations applied by this call.
    @discardableResult
    public static func migrate(_ database: any Database, logger: Logger) async throws -> [String] {
        let (level, applied) = try await database.transaction { connection -> (DirectusSchemaLevel, [String]) in
            if connection.dialect == .postgres {
                // Serialises concurrent migrators; released at COMMIT/ROLLBACK.
                _ = try connection.query("SELECT pg_advisory_xact_lock(7305210442)")
            }
            let level = try DirectusSchemaLevel.read(connection)
            switch level {
            case .absent: try createDirectusSchema(on: connection)
            case .current: break
            case .older, .unknown, .depotDevelopment: throw MigrationError.unsupportedDatabase(level.refusal)
            }
            try create(SystemTables.migrations, on: connection)
            let done = Set(try connection.query("SELECT version FROM depot_migrations").compactMap { $0["version"].string })
            var applied: [String] = []
            for migration in migrations where !done.contains(migration.version) {
                try migration.up(connection)
                try connection.execute("INSERT INTO depot_migrations (version, name) VALUES (?, ?)", [.text(migration.version), .text(migration.name)])
                applied.append(migration.version)
            }
            return (level, applied)
        }
        switch level {
        case .absent:
            logger.notice("created the Directus \(DirectusSchemaLevel.directusVersion) system schema")
        case .current(let last):
            let wanted = SystemTables.directusTableIndexes.map { "\($0.table)(\($0.columns.joined(separator: ", ")))" }
            logger.info("database made by Directus (last migration \(last)): its tables are used as they are; Depot's indexes on them are not created: \(wanted.joined(separator: ", "))")
        default: break
        }
        for version in applied { logger.info("applied migration \(version)") }
        return applied
    }

    static func create(_ table: TableSpec, on connection: any DatabaseConnection) throws {
        for statement in table.createStatements(connection.dialect) + table.indexStatements(connection.dialect) {
            try connection.execute(statement)
        }
    }

    /// The tables, the rows of `directus_migrations` and the data rows a fresh Directus 11.17.4 install leaves:
    /// the public policy with its access row (20240806A) and the settings row with a project id (20250613A).
    static func createDirectusSchema(on connection: any DatabaseConnection) throws {
        let d = connection.dialect
        for table in SystemTables.directus { try create(table, on: connection) }
        for (table, columns) in SystemTables.directusTableIndexes {
            try connection.execute(TableSpec(table, [], indexes: [columns]).indexStatements(d, prefix: "depot_")[0])
        }
        for migration in SystemTables.directusMigrations {
            try connection.execute("INSERT INTO directus_migrations (version, name) VALUES (?, ?)", [.text(migration.version), .text(migration.name)])
        }
        try connection.execute(
            "INSERT INTO directus_policies (id, name, icon, description, enforce_tfa, admin_access, app_access) VALUES (?, '$t:public_label', 'public', '$t:public_description', ?, ?, ?)",
            [.text(publicPolicy), false, false, false])
        try connection.execute("INSERT INTO directus_access (id, role, \(d.quote("user")), policy, sort) VALUES (?, NULL, NULL, ?, 1)",
                               [.text(UUID().uuidString.lowercased()), .text(publicPolicy)])
        try connection.execute("INSERT INTO directus_settings (project_id) VALUES (?)", [.text(UUID().uuidString.lowercased())])
    }

    /// The id Directus gives the public policy.
    public static let publicPolicy = "abf8a154-5b1c-4a46-ac9c-7300570f4f17"
}

/// A database Depot will not start on; the message says what was found and what to do.
public enum MigrationError: Error, CustomStringConvertible {
    case unsupportedDatabase(String)

    public var description: String {
        switch self { case .unsupportedDatabase(let message): message }
    }
}
