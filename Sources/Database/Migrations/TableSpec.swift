/// A table described once and rendered to DDL for each dialect, so both databases get identical system tables.
public struct TableSpec: Sendable {
    public let name: String
    public let columns: [ColumnSpec]
    /// Rendered as knex renders Directus's migrations: a non-null primary key says NOT NULL, and foreign keys are
    /// table constraints named `<table>_<column>_foreign` (on PostgreSQL; knex leaves them unnamed on SQLite).
    public let knexStyle: Bool

    public init(_ name: String, _ columns: [ColumnSpec], knexStyle: Bool = false) {
        self.name = name
        self.columns = columns
        self.knexStyle = knexStyle
    }

    public func createSQL(_ dialect: SQLDialect) -> String {
        var body = columns.map { $0.definition(dialect, knexStyle: knexStyle) }
        if knexStyle {
            body += columns.compactMap { column in
                column.references.map { target in
                    let constraint = dialect == .postgres ? "CONSTRAINT \(dialect.quote("\(name)_\(column.name)_foreign")) " : ""
                    return "\(constraint)FOREIGN KEY (\(dialect.quote(column.name))) REFERENCES \(dialect.quote(target.table)) "
                        + "(\(dialect.quote(target.column))) ON DELETE \(target.onDelete)"
                }
            }
        }
        return "CREATE TABLE IF NOT EXISTS \(dialect.quote(name)) (\n  \(body.joined(separator: ",\n  "))\n)"
    }
}

public enum ColumnType: Sendable, Equatable {
    case increments, uuid, string(Int), text, integer, bigInteger, float, boolean, timestamp, json

    func sql(_ dialect: SQLDialect) -> String {
        switch (self, dialect) {
        case (.increments, .sqlite): "integer PRIMARY KEY AUTOINCREMENT"
        case (.increments, .postgres): "serial PRIMARY KEY"
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

public enum ColumnDefault: Sendable {
    case bool(Bool), int(Int), string(String), now

    func sql(_ dialect: SQLDialect) -> String {
        switch (self, dialect) {
        case (.bool(let b), .sqlite): b ? "1" : "0"
        case (.bool(let b), .postgres): b ? "true" : "false"
        case (.int(let i), _): String(i)
        case (.string(let s), _): "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        case (.now, .sqlite): "(\(dialect.now))"
        case (.now, .postgres): dialect.now
        }
    }
}

public struct ColumnSpec: Sendable {
    public let name: String
    public let type: ColumnType
    public var nullable = true
    public var primary = false
    public var unique = false
    public var defaultValue: ColumnDefault?
    public var references: (table: String, column: String, onDelete: String)?

    public init(_ name: String, _ type: ColumnType) {
        self.name = name
        self.type = type
    }

    public func notNull() -> ColumnSpec { var c = self; c.nullable = false; return c }
    public func primaryKey() -> ColumnSpec { var c = self; c.primary = true; c.nullable = false; return c }
    public func isUnique() -> ColumnSpec { var c = self; c.unique = true; return c }
    public func defaults(_ value: ColumnDefault) -> ColumnSpec { var c = self; c.defaultValue = value; return c }
    public func references(_ table: String, _ column: String = "id", onDelete: String = "SET NULL") -> ColumnSpec {
        var c = self; c.references = (table, column, onDelete); return c
    }

    func definition(_ dialect: SQLDialect, knexStyle: Bool = false) -> String {
        var parts = [dialect.quote(name), type.sql(dialect)]
        if type != .increments {
            if primary { parts.append("PRIMARY KEY") }
            if !nullable && (!primary || knexStyle) { parts.append("NOT NULL") }
        } else if knexStyle, dialect == .sqlite {
            parts = [dialect.quote(name), "integer NOT NULL PRIMARY KEY AUTOINCREMENT"]
        }
        if unique { parts.append("UNIQUE") }
        if let defaultValue { parts.append("DEFAULT \(defaultValue.sql(dialect))") }
        if !knexStyle, let (table, column, onDelete) = references {
            parts.append("REFERENCES \(dialect.quote(table)) (\(dialect.quote(column))) ON DELETE \(onDelete)")
        }
        return parts.joined(separator: " ")
    }
}

/// Short constructors that keep the table lists below readable.
func uuid(_ n: String) -> ColumnSpec { ColumnSpec(n, .uuid) }
func string(_ n: String, _ length: Int = 255) -> ColumnSpec { ColumnSpec(n, .string(length)) }
func text(_ n: String) -> ColumnSpec { ColumnSpec(n, .text) }
func integer(_ n: String) -> ColumnSpec { ColumnSpec(n, .integer) }
func bigInteger(_ n: String) -> ColumnSpec { ColumnSpec(n, .bigInteger) }
func boolean(_ n: String, _ value: Bool) -> ColumnSpec { ColumnSpec(n, .boolean).notNull().defaults(.bool(value)) }
func timestamp(_ n: String) -> ColumnSpec { ColumnSpec(n, .timestamp) }
func json(_ n: String) -> ColumnSpec { ColumnSpec(n, .json) }
func increments(_ n: String = "id") -> ColumnSpec { ColumnSpec(n, .increments).primaryKey() }
