import Database

/// Directus's field types. Each maps to one column type per dialect, and back from an introspected column.
public enum FieldType: String, Sendable, CaseIterable {
    case string, text, integer, bigInteger, float, decimal, boolean, json, uuid, hash, csv
    case date, time, dateTime, timestamp, alias, unknown

    /// The column type created for this field; nil for `alias` (no column).
    func columnSQL(_ dialect: SQLDialect, maxLength: Int?, precision: Int?, scale: Int?, autoIncrement: Bool) -> String? {
        switch (self, dialect) {
        case (.integer, .sqlite) where autoIncrement: "integer PRIMARY KEY AUTOINCREMENT"
        case (.integer, .postgres) where autoIncrement: "serial"
        case (.bigInteger, .sqlite) where autoIncrement: "integer PRIMARY KEY AUTOINCREMENT"
        case (.bigInteger, .postgres) where autoIncrement: "bigserial"
        case (.string, _), (.hash, _): "varchar(\(maxLength ?? 255))"
        case (.text, _), (.csv, _): "text"
        case (.integer, _): "integer"
        case (.bigInteger, _): "bigint"
        case (.float, .sqlite): "float"
        case (.float, .postgres): "real"
        case (.decimal, _): "decimal(\(precision ?? 10), \(scale ?? 5))"
        case (.boolean, _): "boolean"
        case (.json, _): "json"
        case (.uuid, .sqlite): "char(36)"
        case (.uuid, .postgres): "uuid"
        case (.date, _): "date"
        case (.time, _): "time"
        case (.dateTime, .sqlite): "datetime"
        case (.dateTime, .postgres): "timestamp without time zone"
        case (.timestamp, .sqlite): "timestamp"
        case (.timestamp, .postgres): "timestamp with time zone"
        case (.alias, _), (.unknown, _): nil
        }
    }

    /// The Directus type of an introspected column (`data_type` from the catalog, lower-cased).
    static func introspected(_ dataType: String) -> FieldType {
        let t = dataType.lowercased()
        let base = t.split(separator: "(").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? t
        switch base {
        case "varchar", "character varying", "char", "character", "nvarchar", "nchar", "string", "citext":
            return t == "char(36)" ? .uuid : .string
        case "text", "clob", "tinytext", "mediumtext", "longtext": return .text
        case "integer", "int", "int4", "smallint", "int2", "tinyint", "mediumint", "serial", "smallserial": return .integer
        case "bigint", "int8", "bigserial": return .bigInteger
        case "float", "real", "double", "double precision", "float4", "float8": return .float
        case "decimal", "numeric": return .decimal
        case "boolean", "bool": return .boolean
        case "json", "jsonb": return .json
        case "uuid": return .uuid
        case "date": return .date
        case "time", "time without time zone", "time with time zone": return .time
        case "datetime", "timestamp without time zone": return .dateTime
        case "timestamp", "timestamp with time zone", "timestamptz": return .timestamp
        default: return .unknown
        }
    }

    var isNumeric: Bool { [.integer, .bigInteger, .float, .decimal].contains(self) }
    var isTemporal: Bool { [.date, .time, .dateTime, .timestamp].contains(self) }
    /// Types `search` looks in.
    var isSearchable: Bool { [.string, .text, .integer, .bigInteger, .float, .decimal, .uuid].contains(self) }
}
