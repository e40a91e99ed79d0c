import Database

/// What the database itself says about its tables: columns, keys and foreign keys, per dialect.
struct DatabaseCatalog {
    struct Column {
        var name: String
        var dataType: String
        var nullable: Bool
        var defaultSQL: String?
        var maxLength: Int?
        var precision: Int?
        var scale: Int?
        var primaryKey = false
        var autoIncrement = false
        var unique = false
    }

    struct ForeignKey {
        var table: String
        var column: String
        var foreignTable: String
        var onDelete: String
        var constraintName: String?
    }

    var tables: [String: [Column]] = [:]
    var foreignKeys: [ForeignKey] = []

    static func read(_ connection: any DatabaseConnection) throws -> DatabaseCatalog {
        switch connection.dialect {
        case .sqlite: try sqlite(connection)
        case .postgres: try postgres(connection)
        }
    }

    private static func sqlite(_ connection: any DatabaseConnection) throws -> DatabaseCatalog {
        var catalog = DatabaseCatalog()
        let tables = try connection.query("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        for table in tables {
            guard let name = table["name"].string else { continue }
            let createSQL = table["sql"].string?.uppercased() ?? ""
            var uniques: Set<String> = []
            for index in try connection.query("SELECT name FROM pragma_index_list(?) WHERE \"unique\" = 1 AND origin IN ('u', 'c') AND partial = 0", [.text(name)]) {
                let columns = try connection.query("SELECT name FROM pragma_index_info(?)", [index["name"]])
                if columns.count == 1, let column = columns[0]["name"].string { uniques.insert(column) }
            }
            let rows = try connection.query("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid", [.text(name)])
            let keyCount = rows.filter { ($0["pk"].int ?? 0) > 0 }.count
            catalog.tables[name] = rows.map { row in
                let type = row["type"].string ?? ""
                let primary = (row["pk"].int ?? 0) > 0
                let (length, precision, scale) = lengths(type)
                var column = Column(name: row["name"].string ?? "", dataType: type.lowercased(), nullable: row["notnull"].int == 0 && !primary,
                                    defaultSQL: row["dflt_value"].string, maxLength: length, precision: precision, scale: scale)
                column.primaryKey = primary && keyCount == 1
                // An INTEGER PRIMARY KEY is SQLite's rowid: it is given a value when none is inserted.
                column.autoIncrement = column.primaryKey && type.lowercased() == "integer" || (column.primaryKey && createSQL.contains("AUTOINCREMENT"))
                column.unique = uniques.contains(column.name)
                return column
            }
            for fk in try connection.query("SELECT \"table\", \"from\", on_delete, seq FROM pragma_foreign_key_list(?)", [.text(name)]) where fk["seq"].int == 0 {
                catalog.foreignKeys.append(ForeignKey(table: name, column: fk["from"].string ?? "", foreignTable: fk["table"].string ?? "",
                                                      onDelete: fk["on_delete"].string ?? "NO ACTION"))
            }
        }
        return catalog
    }

    private static func postgres(_ connection: any DatabaseConnection) throws -> DatabaseCatalog {
        var catalog = DatabaseCatalog()
        let columns = try connection.query("""
            SELECT c.table_name, c.column_name, c.data_type, c.is_nullable, c.column_default, c.character_maximum_length,
                   c.numeric_precision, c.numeric_scale, c.is_identity
            FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
            ORDER BY c.table_name, c.ordinal_position
            """)
        let keys = try connection.query("""
            SELECT cl.relname AS table_name, a.attname AS column_name, con.contype, con.conname, array_length(con.conkey, 1) AS width,
                   fcl.relname AS foreign_table, con.confdeltype
            FROM pg_constraint con
            JOIN pg_class cl ON cl.oid = con.conrelid
            JOIN pg_namespace n ON n.oid = cl.relnamespace
            JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
            LEFT JOIN pg_class fcl ON fcl.oid = con.confrelid
            WHERE n.nspname = current_schema() AND con.contype IN ('p', 'f')
            """)
        // Unique constraints and unique indexes alike (Depot makes the latter), single column, not partial.
        let uniqueIndexes = try connection.query("""
            SELECT t.relname AS table_name, a.attname AS column_name
            FROM pg_index i
            JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]
            WHERE n.nspname = current_schema() AND i.indisunique AND NOT i.indisprimary AND i.indnatts = 1 AND i.indpred IS NULL
            """)
        var primary: Set<String> = []
        let unique = Set(uniqueIndexes.map { "\($0["table_name"].string ?? "").\($0["column_name"].string ?? "")" })
        for key in keys {
            let id = "\(key["table_name"].string ?? "").\(key["column_name"].string ?? "")"
            switch key["contype"].string {
            case "p" where key["width"].int == 1: primary.insert(id)
            case "f":
                let action = ["a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"][key["confdeltype"].string ?? "a"] ?? "NO ACTION"
                catalog.foreignKeys.append(ForeignKey(table: key["table_name"].string ?? "", column: key["column_name"].string ?? "",
                                                      foreignTable: key["foreign_table"].string ?? "", onDelete: action,
                                                      constraintName: key["conname"].string))
            default: break
            }
        }
        for row in columns {
            let table = row["table_name"].string ?? "", name = row["column_name"].string ?? ""
            let defaultSQL = row["column_default"].string
            var column = Column(name: name, dataType: row["data_type"].string ?? "", nullable: row["is_nullable"].string == "YES",
                                defaultSQL: defaultSQL, maxLength: row["character_maximum_length"].int,
                                precision: row["numeric_precision"].int, scale: row["numeric_scale"].int)
            column.primaryKey = primary.contains("\(table).\(name)")
            column.autoIncrement = defaultSQL?.hasPrefix("nextval(") == true || row["is_identity"].string == "YES"
            column.unique = unique.contains("\(table).\(name)")
            if column.autoIncrement { column.defaultSQL = nil }
            catalog.tables[table, default: []].append(column)
        }
        return catalog
    }

    /// `varchar(255)` → length 255; `decimal(10, 5)` → precision 10, scale 5.
    private static func lengths(_ type: String) -> (Int?, Int?, Int?) {
        guard let open = type.firstIndex(of: "("), let close = type.lastIndex(of: ")"), open < close else { return (nil, nil, nil) }
        let numbers = type[type.index(after: open)..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let base = type[..<open].lowercased()
        if ["decimal", "numeric"].contains(base.trimmingCharacters(in: .whitespaces)) { return (nil, numbers.first, numbers.dropFirst().first) }
        return (numbers.first, nil, nil)
    }

    /// A column default in JSON: literals as values, the current time as Directus's `"CURRENT_TIMESTAMP"`.
    static func defaultValue(_ sql: String?, type: FieldType) -> JSONValue {
        guard var text = sql?.trimmingCharacters(in: .whitespaces), !text.isEmpty, text.uppercased() != "NULL" else { return .null }
        if text.lowercased().contains("now()") || text.uppercased().contains("CURRENT_TIMESTAMP") || text.contains("strftime") {
            return "CURRENT_TIMESTAMP"
        }
        if let cast = text.range(of: "::") { text = String(text[..<cast.lowerBound]) }
        if text.hasPrefix("("), text.hasSuffix(")") { text = String(text.dropFirst().dropLast()) }
        if text.hasPrefix("'"), text.hasSuffix("'"), text.count >= 2 {
            text = String(text.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'")
            if type != .boolean, !type.isNumeric { return .string(text) }
        }
        switch type {
        case .boolean: return .bool(["1", "true", "t"].contains(text.lowercased()))
        case .integer, .bigInteger: return Int64(text).map(JSONValue.int) ?? .string(text)
        case .float: return Double(text).map(JSONValue.double) ?? .string(text)
        default: return .string(text)
        }
    }
}
