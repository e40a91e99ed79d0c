/// Which Directus schema a database holds, read from `directus_migrations` before anything is changed.
public enum DirectusSchemaLevel: Sendable, Equatable {
    /// No Directus table at all: Depot creates the schema.
    case absent
    /// Directus's last migration of the supported version is recorded (`last` is the newest version found).
    case current(last: String)
    /// A Directus database that has not reached the supported version; `last` is its newest migration, if any.
    case older(last: String?)
    /// Directus tables without a migration record.
    case unknown(tables: [String])
    /// A database made by a Depot development build before Depot adopted Directus's schema.
    case depotDevelopment

    /// The Directus version whose schema Depot creates and requires.
    public static let directusVersion = "11.17.4"
    /// The last migration of that version: a database that has it is at least at that level.
    public static var requiredMigration: String { SystemTables.directusMigrations.last!.version }
    /// Versions early Depot builds wrote into `directus_migrations`.
    static let depotDevelopmentVersions: Set<String> = ["20261122A", "20261122B", "20261122C", "20261203A"]

    static func read(_ connection: any DatabaseConnection) throws -> DirectusSchemaLevel {
        let tables = try DatabaseTables.names(connection).filter { $0.hasPrefix("directus_") }
        guard tables.contains(SystemTables.migrationRecord) else { return tables.isEmpty ? .absent : .unknown(tables: tables) }
        let versions = try connection.query("SELECT version FROM directus_migrations").compactMap { $0["version"].string }
        if !depotDevelopmentVersions.isDisjoint(with: versions), !versions.contains("20201028A") { return .depotDevelopment }
        let last = versions.max()
        return versions.contains(requiredMigration) ? .current(last: last!) : .older(last: last)
    }

    /// The one line start-up fails with on a database Depot does not use.
    var refusal: String {
        let upgrade = "upgrade it with Directus \(Self.directusVersion) first (`npx directus database migrate:latest`), then start Depot again"
        switch self {
        case .absent, .current: return ""
        case .older(let last?):
            return "this database was made by an older Directus (last migration \(last)); Depot needs Directus \(Self.directusVersion)'s schema (migration \(Self.requiredMigration)): \(upgrade)"
        case .older(nil):
            return "this database has Directus tables but no Directus migration recorded; Depot needs Directus \(Self.directusVersion)'s schema (migration \(Self.requiredMigration)): \(upgrade)"
        case .unknown(let tables):
            return "this database has Directus tables (\(tables.prefix(3).joined(separator: ", "))…) but no directus_migrations table, so its schema level is unknown; point Depot at an empty database or at one made by Directus \(Self.directusVersion)"
        case .depotDevelopment:
            return "this database was made by a Depot development build before Depot adopted Directus \(Self.directusVersion)'s schema; export its data and start Depot on an empty database"
        }
    }
}

/// The table names of the connection's schema (PostgreSQL: the first schema of the search path).
enum DatabaseTables {
    static func names(_ connection: any DatabaseConnection) throws -> [String] {
        let sql = connection.dialect == .postgres
            ? "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            : "SELECT name FROM sqlite_master WHERE type = 'table'"
        return try connection.query(sql).compactMap { $0["name"].string }
    }
}
