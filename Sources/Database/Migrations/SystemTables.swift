/// The tables Depot works on: Directus's system tables (`directus`, generated from the reference of Directus
/// 11.17.4's schema) and Depot's own `depot_*` tables, which Directus does not know (tell it to skip them with
/// `DB_EXCLUDE_TABLES`).
public enum SystemTables {
    /// Every Directus system table Depot serves as a collection (all but the migration record).
    public static let collections: [TableSpec] = directus.filter { $0.name != migrationRecord }

    /// Directus's record of applied migrations; Depot reads it and never writes rows of its own there.
    public static let migrationRecord = "directus_migrations"

    /// Depot's own tables, in creation order.
    public static var depot: [TableSpec] { [migrations, derivatives, pendingUploads] }

    /// Depot's record of its own migrations, shaped like `directus_migrations`.
    public static let migrations = TableSpec("depot_migrations", [
        string("version").primaryKey(), string("name").notNull(), timestamp("timestamp").defaults(.now),
    ])

    /// Depot's own record of stored image derivatives (`<id>__<hash>.<ext>` beside each original), so that
    /// serving one needs no storage listing and removing a file's derivatives lists nothing.
    public static let derivatives = TableSpec("depot_derivatives", [
        increments(), uuid("file").notNull(), string("hash", 64).notNull(), string("storage").notNull(),
        string("key").notNull(), string("type").notNull(), bigInteger("filesize").notNull(), string("etag"),
        integer("width"), integer("height"), timestamp("created_on").defaults(.now),
    ], unique: [["file", "hash"]])

    /// Depot's record of uploads in progress: written before an upload's bytes, deleted in the transaction that
    /// inserts its `directus_files` row. An entry that outlives its writer (a crash) names an object that may
    /// have no row; start-up removes such objects. `writer` is the process (`pid@host`) that wrote it.
    public static let pendingUploads = TableSpec("depot_pending_uploads", [
        uuid("id").primaryKey(), string("storage").notNull(), string("key").notNull(), string("writer").notNull(),
        timestamp("created_on").notNull(),
    ], indexes: [["storage", "key"]])

    /// Indexes Depot adds to Directus's tables for its hot lookups (Directus has none there), named
    /// `depot_<table>_<columns>_index`. Created with the schema Depot creates; on a database Directus made they
    /// are not created (start-up changes nothing of Directus's), only named in the log.
    public static let directusTableIndexes: [(table: String, columns: [String])] = [
        ("directus_access", ["role"]), ("directus_access", ["user"]), ("directus_permissions", ["policy"]),
        ("directus_sessions", ["user"]), ("directus_fields", ["collection"]), ("directus_activity", ["collection", "item"]),
        ("directus_files", ["folder"]),
    ]
}
