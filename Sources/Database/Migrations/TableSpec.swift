/// A table described once and rendered to DDL for each dialect the way knex renders Directus's migrations, so
/// that both databases get the catalog Directus itself leaves: constraints and indexes named
/// `<table>_<columns>_<pkey|unique|foreign|index>` (SQLite leaves primary and foreign keys unnamed, and spells
/// unique constraints as unique indexes).
public struct TableSpec: Sendable {
    public let name: String
    public let columns: [ColumnSpec]
    /// Unique constraints, each a list of columns.
    public let unique: [[String]]
    /// Plain (non-unique) indexes, each a list of columns.
    public let indexes: [[String]]

    public init(_ name: String, _ columns: [ColumnSpec], unique: [[String]] = [], indexes: [[String]] = []) {
        self.name = name
        self.columns = columns
        self.unique = unique
        self.indexes = indexes
    }

    public func column(_ name: String) -> ColumnSpec? { columns.first { $0.name == name } }
    public var primaryKey: String? { columns.first { $0.primary }?.name }

    /// `CREATE TABLE` and, on SQLite, its unique indexes; every statement is a no-op when the object exists.
    public func createStatements(_ dialect: SQLDialect) -> [String] {
        var body = columns.map { $0.definition(dialect) }
        if dialect == .postgres {
            body += unique.map { "CONSTRAINT \(dialect.quote(constraintName($0, "unique"))) UNIQUE (\(quoted($0, dialect)))" }
        }
        body += columns.compactMap { column in
            column.references.map { target in
                let named = dialect == .postgres || target.namedOnSQLite
                let constraint = named ? "CONSTRAINT \(dialect.quote(constraintName([column.name], "foreign"))) " : ""
                return "\(constraint)FOREIGN KEY (\(dialect.quote(column.name))) REFERENCES \(dialect.quote(target.table)) "
                    + "(\(dialect.quote(target.column))) ON DELETE \(target.onDelete)"
            }
        }
        var statements = ["CREATE TABLE IF NOT EXISTS \(dialect.quote(name)) (\n  \(body.joined(separator: ",\n  "))\n)"]
        if dialect == .sqlite {
            statements += unique.map { "CREATE UNIQUE INDEX IF NOT EXISTS \(dialect.quote(constraintName($0, "unique"))) ON \(dialect.quote(name)) (\(quoted($0, dialect)))" }
        }
        return statements
    }

    /// `CREATE INDEX` for each plain index, named `prefix<table>_<columns>_index`.
    public func indexStatements(_ dialect: SQLDialect, prefix: String = "") -> [String] {
        indexes.map { "CREATE INDEX IF NOT EXISTS \(dialect.quote(prefix + constraintName($0, "index"))) ON \(dialect.quote(name)) (\(quoted($0, dialect)))" }
    }

    /// knex's default name of a constraint or index.
    public func constraintName(_ columns: [String], _ kind: String) -> String {
        "\(name)_\(columns.joined(separator: "_"))_\(kind)"
    }

    private func quoted(_ columns: [String], _ dialect: SQLDialect) -> String {
        columns.map(dialect.quote).joined(separator: ", ")
    }
}

public enum ColumnType: Sendable, Equatable {
    case increments, uuid, string(Int), text, integer, bigInteger, float, boolean, timestamp, json

    func sql(_ dialect: SQLDialect) -> String {
        switch (self, dialect) {
        case (.increments, .sqlite): "integer"
        case (.increments, .postgres): "serial"
        case (.uuid, .sqlite): "char(36)"
        case (.uuid, .postgres): "uuid"
        case (.string(let n), _): "varchar(\(n))"
        case (.text, _): "text"
        case (.integer, _): "integer"
        case (.bigInteger, _): "bigint"
        case (.float, .sqlite): "float"
        case (.float, .postgres): "real"
        case (.boolean, _): "boolean"
        case (.timestamp, .sqlite): "datetime"
        case (.timestamp, .postgres): "timestamp with time zone"
        case (.json, _): "json"
        }
    }
}

/// A column default, written as knex writes it (SQLite keeps the text as written; PostgreSQL normalises it).
public enum ColumnDefault: Sendable {
    case bool(Bool), int(Int), string(String), now
    /// An explicit `DEFAULT null`: kept by SQLite, and by PostgreSQL on varchar columns (`NULL::character varying`).
    case null

    func sql(_ dialect: SQLDialect) -> String {
        switch (self, dialect) {
        case (.bool(let b), .sqlite): b ? "'1'" : "'0'"
        case (.bool(let b), .postgres): b ? "true" : "false"
        case (.int(let i), .sqlite): "'\(i)'"
        case (.int(let i), .postgres): String(i)
        case (.string(let s), _): "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        case (.now, _): "CURRENT_TIMESTAMP"
        case (.null, _): "null"
        }
    }
}

/// Where a foreign key points and what deleting the target does.
public struct ForeignKeySpec: Sendable {
    public let table: String
    public let column: String
    public let onDelete: String
    /// Named on SQLite too (knex names a foreign key there only when its migration gives the name).
    public let namedOnSQLite: Bool
}

public struct ColumnSpec: Sendable {
    public let name: String
    public let type: ColumnType
    public var nullable = true
    public var primary = false
    /// False where Directus declares a primary key without `notNullable()`: SQLite then accepts NULL in it.
    public var notNullOnSQLite = true
    public var defaultValue: ColumnDefault?
    public var references: ForeignKeySpec?

    public init(_ name: String, _ type: ColumnType) {
        self.name = name
        self.type = type
    }

    public func notNull() -> ColumnSpec { var c = self; c.nullable = false; return c }
    public func primaryKey(notNullOnSQLite: Bool = true) -> ColumnSpec {
        var c = self; c.primary = true; c.nullable = false; c.notNullOnSQLite = notNullOnSQLite; return c
    }
    public func defaults(_ value: ColumnDefault) -> ColumnSpec { var c = self; c.defaultValue = value; return c }
    public func references(_ table: String, _ column: String = "id", onDelete: String, namedOnSQLite: Bool = false) -> ColumnSpec {
        var c = self; c.references = ForeignKeySpec(table: table, column: column, onDelete: onDelete, namedOnSQLite: namedOnSQLite); return c
    }

    func definition(_ dialect: SQLDialect) -> String {
        var parts = [dialect.quote(name), type.sql(dialect)]
        if type == .increments {
            parts.append(dialect == .sqlite ? "NOT NULL PRIMARY KEY AUTOINCREMENT" : "PRIMARY KEY")
        } else {
            if !nullable && (dialect == .postgres || notNullOnSQLite) { parts.append("NOT NULL") }
            if primary { parts.append("PRIMARY KEY") }
        }
        if let defaultValue { parts.append("DEFAULT \(defaultValue.sql(dialect))") }
        return parts.joined(separator: " ")
    }
}

/// Short constructors that keep the table lists readable.
func uuid(_ n: String) -> ColumnSpec { ColumnSpec(n, .uuid) }
func string(_ n: String, _ length: Int = 255) -> ColumnSpec { ColumnSpec(n, .string(length)) }
func text(_ n: String) -> ColumnSpec { ColumnSpec(n, .text) }
func integer(_ n: String) -> ColumnSpec { ColumnSpec(n, .integer) }
func bigInteger(_ n: String) -> ColumnSpec { ColumnSpec(n, .bigInteger) }
func boolean(_ n: String) -> ColumnSpec { ColumnSpec(n, .boolean) }
func timestamp(_ n: String) -> ColumnSpec { ColumnSpec(n, .timestamp) }
func json(_ n: String) -> ColumnSpec { ColumnSpec(n, .json) }
func increments(_ n: String = "id") -> ColumnSpec { ColumnSpec(n, .increments).primaryKey() }
