import Database
import Foundation

/// Builds, in an empty database, the schema Directus 11.17.4 leaves — straight from the reference JSON, the way
/// knex spells it, without Depot's own declarations — and records Directus's 101 migrations, as `directus
/// bootstrap` does. What Depot finds when a team points it at its Directus database.
enum DirectusMadeDatabase {
    static func create(_ database: any Database, reference: SchemaReference = .shared) async throws {
        let statements = database.dialect == .postgres ? postgres(reference) : sqlite(reference)
        try await database.transaction { connection in
            for statement in statements { try connection.execute(statement) }
            for migration in reference.migrations {
                try connection.execute("INSERT INTO directus_migrations (version, name) VALUES (?, ?)", [.text(migration.version), .text(migration.name)])
            }
        }
    }

    private static func q(_ name: String) -> String { "\"\(name)\"" }
    private static func list(_ columns: [String]) -> String { columns.map(q).joined(separator: ", ") }

    private static func postgres(_ reference: SchemaReference) -> [String] {
        var creates: [String] = [], after: [String] = []
        for table in reference.tables.values {
            var body = table.columns.map { c -> String in
                if c.knexType == "serial" { return "\(q(c.name)) serial" }
                return "\(q(c.name)) \(c.knexType)\(c.nullable ? "" : " NOT NULL")\(c.pgDefault.map { " DEFAULT \($0)" } ?? "")"
            }
            body.append("CONSTRAINT \(q(table.primaryKey.name)) PRIMARY KEY (\(list(table.primaryKey.columns)))")
            body += table.unique.map { "CONSTRAINT \(q($0.name)) UNIQUE (\(list($0.columns)))" }
            creates.append("CREATE TABLE \(q(table.name)) (\(body.joined(separator: ", ")))")
            after += table.foreignKeys.map {
                "ALTER TABLE \(q(table.name)) ADD CONSTRAINT \(q($0.name!)) FOREIGN KEY (\(q($0.column))) REFERENCES \(q($0.table)) (\(q($0.targetColumn))) ON DELETE \($0.onDelete)"
            }
        }
        return creates + after + plainIndexes(reference)
    }

    private static func sqlite(_ reference: SchemaReference) -> [String] {
        var statements: [String] = []
        for table in reference.tables.values {
            var body = table.columns.map { c -> String in
                if c.knexType == "serial" { return "\(q(c.name)) integer not null primary key autoincrement" }
                return "\(q(c.name)) \(c.sqliteType)\(c.sqliteNullable ? "" : " not null")\(c.sqliteDefault.map { " default \($0)" } ?? "")"
            }
            if table.columns.first(where: { $0.name == table.primaryKey.columns.first })?.knexType != "serial" {
                body.append("primary key (\(list(table.primaryKey.columns)))")
            }
            body += table.foreignKeys.map { fk in
                let name = table.columns.first { $0.name == fk.column }?.sqliteForeignKeyName
                return "\(name.map { "constraint \(q($0)) " } ?? "")foreign key(\(q(fk.column))) references \(q(fk.table))(\(q(fk.targetColumn))) on delete \(fk.onDelete)"
            }
            statements.append("CREATE TABLE \(q(table.name)) (\(body.joined(separator: ", ")))")
            statements += table.unique.map { "CREATE UNIQUE INDEX \(q($0.name)) ON \(q(table.name)) (\(list($0.columns)))" }
        }
        return statements + plainIndexes(reference)
    }

    private static func plainIndexes(_ reference: SchemaReference) -> [String] {
        reference.indexes.filter { !$0.unique }.map { "CREATE INDEX \(q($0.name)) ON \(q($0.table)) (\(list($0.columns)))" }
    }
}
