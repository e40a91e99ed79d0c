import Database

/// The written field a foreign-key violation concerns, where the database does not say: SQLite reports only
/// "FOREIGN KEY constraint failed". Run on the failed statement's connection — the statement was undone, its
/// transaction goes on — it looks, in the table's own catalog, for the first single-column foreign key whose
/// written value has no referenced row. PostgreSQL names the column itself.
enum ForeignKeyProbe {
    static func field(_ values: [(String, DatabaseValue)], table: String, on connection: any DatabaseConnection) throws -> String? {
        guard connection.dialect == .sqlite, !values.isEmpty else { return nil }
        let d = connection.dialect
        let written = Dictionary(values, uniquingKeysWith: { $1 })
        let references = try connection.query("SELECT id, \"from\", \"table\", \"to\" FROM pragma_foreign_key_list(?) ORDER BY id, seq", [.text(table)])
        let byConstraint = Dictionary(grouping: references) { $0["id"].int ?? -1 }
        for id in byConstraint.keys.sorted() {
            guard let columns = byConstraint[id], columns.count == 1, let reference = columns.first,
                  let column = reference["from"].string, let value = written[column], !value.isNull,
                  let parent = reference["table"].string,
                  // A reference without a column names the parent's primary key.
                  let target = try reference["to"].string ?? primaryKey(of: parent, on: connection)
            else { continue }
            if try connection.query("SELECT 1 FROM \(d.quote(parent)) WHERE \(d.quote(target)) = ? LIMIT 1", [value]).isEmpty { return column }
        }
        return nil
    }

    private static func primaryKey(of table: String, on connection: any DatabaseConnection) throws -> String? {
        let keys = try connection.query("SELECT name FROM pragma_table_info(?) WHERE pk > 0", [.text(table)])
        return keys.count == 1 ? keys[0]["name"].string : nil
    }
}
