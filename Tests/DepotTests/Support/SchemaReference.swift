import CMS
import Foundation

/// Directus 11.17.4's system schema as `Fixtures/directus-11.17.4-system-schema.json` records it (replayed from
/// Directus's own seeds and migrations), read independently of Depot's declarations: the oracle of the schema
/// tests, and the source the tests build a Directus-made database from.
struct SchemaReference {
    struct Column {
        let name: String
        let order: Int
        /// knex's spelling (`varchar(255)`, `timestamptz`, `serial`, …).
        let knexType: String
        let pgType: String
        let nullable: Bool
        let pgDefault: String?
        let sqliteType: String
        let sqliteNullable: Bool
        let sqliteDefault: String?
        let sqliteForeignKeyName: String?
    }

    struct Table {
        let name: String
        let columns: [Column]
        let primaryKey: (name: String, columns: [String])
        let unique: [(name: String, columns: [String])]
        let foreignKeys: [CatalogSnapshot.ForeignKey]
    }

    let tables: [String: Table]
    let indexes: [CatalogSnapshot.Index]
    let migrations: [(version: String, name: String)]

    static let shared: SchemaReference = {
        let path = Repository.fixture("directus-11.17.4-system-schema.json")
        let json = try! JSONValue.parse(Array(FileManager.default.contents(atPath: path)!))
        return SchemaReference(json)
    }()

    private init(_ json: JSONValue) {
        var tables: [String: Table] = [:]
        guard case .object(let entries, _)? = json["tables"] else { fatalError("reference without tables") }
        for (name, table) in entries {
            guard case .object(let columnEntries, _)? = table["columns"] else { continue }
            let columns = columnEntries.map { columnName, c in
                Column(name: columnName, order: c["order"]?.referenceInt ?? 0, knexType: c["type"]?.stringValue ?? "",
                       pgType: c["pg_type"]?.stringValue ?? "", nullable: c["nullable"]?.boolValue ?? true,
                       pgDefault: c["default"]?.stringValue, sqliteType: c["sqlite"]?["type"]?.stringValue ?? "",
                       sqliteNullable: c["sqlite"]?["nullable"]?.boolValue ?? true, sqliteDefault: c["sqlite"]?["default"]?.stringValue,
                       sqliteForeignKeyName: c["sqlite"]?["foreign_key_name"]?.stringValue)
            }.sorted { $0.order < $1.order }
            let unique = (table["unique_constraints"]?.arrayItems ?? []).map {
                (name: $0["name"]?.stringValue ?? "", columns: ($0["columns"]?.arrayItems ?? []).compactMap(\.stringValue))
            }
            let foreignKeys = (table["foreign_keys"]?.arrayItems ?? []).map {
                CatalogSnapshot.ForeignKey(name: $0["name"]?.stringValue, column: $0["column"]?.stringValue ?? "",
                                           table: $0["references"]?["table"]?.stringValue ?? "",
                                           targetColumn: $0["references"]?["column"]?.stringValue ?? "",
                                           onDelete: $0["on_delete"]?.stringValue ?? "")
            }
            tables[name] = Table(name: name, columns: columns,
                                 primaryKey: (table["primary_key"]?["name"]?.stringValue ?? "",
                                              (table["primary_key"]?["columns"]?.arrayItems ?? []).compactMap(\.stringValue)),
                                 unique: unique, foreignKeys: foreignKeys)
        }
        self.tables = tables
        indexes = (json["indexes"]?.arrayItems ?? []).map {
            CatalogSnapshot.Index(table: $0["table"]?.stringValue ?? "", name: $0["name"]?.stringValue ?? "",
                                  columns: ($0["columns"]?.arrayItems ?? []).compactMap(\.stringValue), unique: $0["unique"]?.boolValue ?? false)
        }
        migrations = (json["migrations"]?.arrayItems ?? []).map { ($0["version"]?.stringValue ?? "", $0["name"]?.stringValue ?? "") }
    }

    /// The catalog a database Directus made holds, as `CatalogSnapshot.read` reports it for `dialect`.
    func expectedCatalog(_ dialect: Dialect) -> CatalogSnapshot {
        var snapshot = CatalogSnapshot()
        for (name, table) in tables {
            let columns = table.columns.map { c in
                dialect == .postgres
                    ? CatalogSnapshot.Column(name: c.name, type: c.pgType, nullable: c.nullable, defaultValue: c.pgDefault)
                    : CatalogSnapshot.Column(name: c.name, type: c.sqliteType, nullable: c.sqliteNullable, defaultValue: c.sqliteDefault)
            }
            var indexes = Set(self.indexes.filter { $0.table == name })
            var foreignKeys = Set(table.foreignKeys)
            if dialect == .sqlite {
                // SQLite: primary keys unnamed (a non-integer one gets an automatic index), unique constraints as
                // unique indexes of the same name, foreign keys unnamed unless the migration named them.
                indexes = indexes.filter { index in !index.name.hasSuffix("_pkey") }
                if table.columns.first(where: { $0.name == table.primaryKey.columns.first })?.knexType != "serial" {
                    indexes.insert(.init(table: name, name: "sqlite_autoindex_\(name)_1", columns: table.primaryKey.columns, unique: true))
                }
                foreignKeys = Set(table.foreignKeys.map { fk in
                    var fk = fk
                    fk.name = table.columns.first { $0.name == fk.column }?.sqliteForeignKeyName
                    return fk
                })
            }
            snapshot.tables[name] = CatalogSnapshot.Table(
                columns: columns, primaryKey: table.primaryKey.columns,
                primaryKeyName: dialect == .postgres ? table.primaryKey.name : nil,
                uniqueConstraints: dialect == .postgres
                    ? Set(table.unique.map { CatalogSnapshot.Index(table: name, name: $0.name, columns: $0.columns, unique: true) }) : [],
                foreignKeys: foreignKeys, indexes: indexes)
        }
        return snapshot
    }
}

private extension JSONValue {
    var referenceInt: Int? { if case .int(let i) = self { Int(i) } else { nil } }
}
