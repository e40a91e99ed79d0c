import Database

/// SQLite cannot alter a column in place. This is its documented way (sqlite.org/lang_altertable.html, "other
/// kinds of table schema changes"): a new table with the new definitions, the rows copied, the old table
/// dropped and the new one renamed, its indexes and triggers re-created. Runs inside
/// `Database.schemaTransaction`, which keeps foreign keys off until it checks them before the commit.
enum TableRebuild {
    static func run(_ table: String, columns: [FieldDefinition], on connection: any DatabaseConnection) throws {
        let d = connection.dialect
        let temporary = "\(table)__depot_rebuild"
        let uniqueIndexes = Set(columns.map { "\(table)_\($0.name)_unique" })
        let kept = try connection.query("SELECT name, sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
                                        [.text(table)])
            .filter { !uniqueIndexes.contains($0["name"].string ?? "") }.compactMap { $0["sql"].string }
        let sequence = try connection.query("SELECT seq FROM sqlite_sequence WHERE name = ?", [.text(table)]).first?["seq"]

        try connection.execute("CREATE TABLE \(d.quote(temporary)) (\(columns.compactMap { $0.columnSQL(d) }.joined(separator: ", ")))")
        let names = columns.filter { $0.type != .alias }.map { d.quote($0.name) }.joined(separator: ", ")
        try connection.execute("INSERT INTO \(d.quote(temporary)) (\(names)) SELECT \(names) FROM \(d.quote(table))")
        try connection.execute("DROP TABLE \(d.quote(table))")
        try connection.execute("ALTER TABLE \(d.quote(temporary)) RENAME TO \(d.quote(table))")
        // Keys of deleted rows are not handed out again after the rebuild.
        if let sequence { try connection.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", [sequence, .text(table)]) }
        for sql in kept { try connection.execute(sql) }
        for column in columns where column.unique && !column.primaryKey { try connection.execute(column.uniqueIndexSQL(table: table, d)) }
    }
}
