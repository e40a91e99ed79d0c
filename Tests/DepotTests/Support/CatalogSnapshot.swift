import Database
import Foundation

/// What a database's catalog says about its tables — columns with types, nullability and defaults, keys,
/// constraint names, foreign keys with their ON DELETE rules, indexes — read from `pg_catalog` or SQLite's
/// pragmas, in a form two databases (or a database and the reference) can be compared by.
struct CatalogSnapshot: Equatable {
    struct Column: Equatable, CustomStringConvertible {
        var name: String
        var type: String
        var nullable: Bool
        var defaultValue: String?
        var description: String { "\(name) \(type)\(nullable ? "" : " NOT NULL")\(defaultValue.map { " DEFAULT \($0)" } ?? "")" }
    }

    struct ForeignKey: Hashable, CustomStringConvertible {
        var name: String?
        var column: String
        var table: String
        var targetColumn: String
        var onDelete: String
        var description: String { "\(name ?? "(unnamed)") \(column) → \(table).\(targetColumn) ON DELETE \(onDelete)" }
    }

    struct Index: Hashable, CustomStringConvertible {
        var table: String
        var name: String
        var columns: [String]
        var unique: Bool
        var description: String { "\(name)(\(columns.joined(separator: ", ")))\(unique ? " unique" : "")" }
    }

    struct Table: Equatable {
        var columns: [Column]
        var primaryKey: [String]
        var primaryKeyName: String?
        var uniqueConstraints: Set<Index>
        var foreignKeys: Set<ForeignKey>
        var indexes: Set<Index>
    }

    var tables: [String: Table] = [:]

    /// Only the tables (and, within them, the indexes) that `include` accepts.
    func filtered(tables include: (String) -> Bool, indexes keep: (Index) -> Bool = { _ in true }) -> CatalogSnapshot {
        var copy = CatalogSnapshot()
        for (name, table) in tables where include(name) {
            var table = table
            table.indexes = table.indexes.filter(keep)
            copy.tables[name] = table
        }
        return copy
    }

    /// One line per difference, empty when the two agree.
    func differences(from expected: CatalogSnapshot) -> [String] {
        var lines: [String] = []
        for name in Set(expected.tables.keys).subtracting(tables.keys).sorted() { lines.append("missing table \(name)") }
        for name in Set(tables.keys).subtracting(expected.tables.keys).sorted() { lines.append("extra table \(name)") }
        for (name, want) in expected.tables.sorted(by: { $0.key < $1.key }) {
            guard let have = tables[name] else { continue }
            let wantNames = want.columns.map(\.name), haveNames = have.columns.map(\.name)
            for column in wantNames where !haveNames.contains(column) { lines.append("\(name): missing column \(column)") }
            for column in haveNames where !wantNames.contains(column) { lines.append("\(name): extra column \(column)") }
            if wantNames == haveNames || Set(wantNames) == Set(haveNames) {
                if wantNames != haveNames { lines.append("\(name): column order \(haveNames) instead of \(wantNames)") }
                for w in want.columns {
                    if let h = have.columns.first(where: { $0.name == w.name }), h != w { lines.append("\(name): \(h) instead of \(w)") }
                }
            }
            if have.primaryKey != want.primaryKey || have.primaryKeyName != want.primaryKeyName {
                lines.append("\(name): primary key \(have.primaryKeyName ?? "")\(have.primaryKey) instead of \(want.primaryKeyName ?? "")\(want.primaryKey)")
            }
            for (label, h, w) in [("unique constraint", have.uniqueConstraints, want.uniqueConstraints), ("index", have.indexes, want.indexes)] {
                for item in w.subtracting(h).sorted(by: { $0.name < $1.name }) { lines.append("\(name): missing \(label) \(item)") }
                for item in h.subtracting(w).sorted(by: { $0.name < $1.name }) { lines.append("\(name): extra \(label) \(item)") }
            }
            for fk in want.foreignKeys.subtracting(have.foreignKeys).sorted(by: { $0.column < $1.column }) { lines.append("\(name): missing foreign key \(fk)") }
            for fk in have.foreignKeys.subtracting(want.foreignKeys).sorted(by: { $0.column < $1.column }) { lines.append("\(name): extra foreign key \(fk)") }
        }
        return lines
    }

    static func read(_ database: any Database) async throws -> CatalogSnapshot {
        try await database.read { connection in
            connection.dialect == .postgres ? try postgres(connection) : try sqlite(connection)
        }
    }

    private static func postgres(_ c: any DatabaseConnection) throws -> CatalogSnapshot {
        var snapshot = CatalogSnapshot()
        let columns = try c.query("""
            SELECT cl.relname AS tbl, a.attname AS col, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
                   pg_get_expr(d.adbin, d.adrelid) AS dflt
            FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE n.nspname = current_schema() AND cl.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY cl.relname, a.attnum
            """)
        for row in columns {
            let table = row["tbl"].string ?? ""
            snapshot.tables[table, default: Table(columns: [], primaryKey: [], primaryKeyName: nil, uniqueConstraints: [], foreignKeys: [], indexes: [])]
                .columns.append(Column(name: row["col"].string ?? "", type: row["type"].string ?? "", nullable: row["notnull"].bool == false,
                                       defaultValue: row["dflt"].string))
        }
        let constraints = try c.query("""
            SELECT cl.relname AS tbl, con.conname AS name, con.contype AS kind, fcl.relname AS target, con.confdeltype AS ondelete,
                   (SELECT string_agg(a.attname, ',' ORDER BY k.i) FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n) AS cols,
                   (SELECT string_agg(a.attname, ',' ORDER BY k.i) FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n) AS targetcols
            FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
            LEFT JOIN pg_class fcl ON fcl.oid = con.confrelid
            WHERE n.nspname = current_schema()
            """)
        let rules = ["a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"]
        for row in constraints {
            let table = row["tbl"].string ?? "", name = row["name"].string ?? ""
            let cols = (row["cols"].string ?? "").split(separator: ",").map(String.init)
            switch row["kind"].string {
            case "p":
                snapshot.tables[table]?.primaryKey = cols
                snapshot.tables[table]?.primaryKeyName = name
            case "u":
                snapshot.tables[table]?.uniqueConstraints.insert(Index(table: table, name: name, columns: cols, unique: true))
            case "f":
                snapshot.tables[table]?.foreignKeys.insert(ForeignKey(name: name, column: cols.joined(separator: ","), table: row["target"].string ?? "",
                                                                      targetColumn: row["targetcols"].string ?? "",
                                                                      onDelete: rules[row["ondelete"].string ?? "a"] ?? "?"))
            default: snapshot.tables[table]?.columns.append(Column(name: "constraint \(name)", type: row["kind"].string ?? "", nullable: true))
            }
        }
        let indexes = try c.query("""
            SELECT t.relname AS tbl, i.relname AS name, ix.indisunique AS uniq,
                   (SELECT string_agg(a.attname, ',' ORDER BY k.i) FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(n, i)
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n) AS cols
            FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = current_schema() AND t.relkind = 'r'
            """)
        for row in indexes {
            let table = row["tbl"].string ?? ""
            snapshot.tables[table]?.indexes.insert(Index(table: table, name: row["name"].string ?? "",
                                                         columns: (row["cols"].string ?? "").split(separator: ",").map(String.init),
                                                         unique: row["uniq"].bool == true))
        }
        return snapshot
    }

    private static func sqlite(_ c: any DatabaseConnection) throws -> CatalogSnapshot {
        var snapshot = CatalogSnapshot()
        for table in try c.query("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") {
            let name = table["name"].string ?? "", sql = table["sql"].string ?? ""
            let info = try c.query("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid", [.text(name)])
            let autoincrement = sql.uppercased().contains("AUTOINCREMENT")
            let columns = info.map { row in
                var type = (row["type"].string ?? "").lowercased()
                if autoincrement, row["pk"].int == 1 { type += " primary key autoincrement" }
                return Column(name: row["name"].string ?? "", type: type, nullable: row["notnull"].int == 0, defaultValue: row["dflt_value"].string)
            }
            let primaryKey = info.filter { ($0["pk"].int ?? 0) > 0 }.sorted { $0["pk"].int! < $1["pk"].int! }.compactMap { $0["name"].string }
            // Named foreign keys: `CONSTRAINT "name" FOREIGN KEY ("column")` in the table's SQL.
            var names: [String: String] = [:]
            for match in sql.matches(of: /(?i)constraint\s+[`"]?(\w+)[`"]?\s+foreign\s+key\s*\(\s*[`"]?(\w+)[`"]?\s*\)/) {
                names[String(match.output.2)] = String(match.output.1)
            }
            let foreignKeys = try c.query("SELECT \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list(?)", [.text(name)]).map { row in
                let column = row["from"].string ?? ""
                return ForeignKey(name: names[column], column: column, table: row["table"].string ?? "",
                                  targetColumn: row["to"].string ?? "", onDelete: row["on_delete"].string ?? "")
            }
            var indexes: Set<Index> = []
            for index in try c.query("SELECT name, \"unique\" FROM pragma_index_list(?)", [.text(name)]) {
                let columns = try c.query("SELECT name FROM pragma_index_info(?) ORDER BY seqno", [index["name"]]).compactMap { $0["name"].string }
                indexes.insert(Index(table: name, name: index["name"].string ?? "", columns: columns, unique: index["unique"].int == 1))
            }
            snapshot.tables[name] = Table(columns: columns, primaryKey: primaryKey, primaryKeyName: nil, uniqueConstraints: [],
                                          foreignKeys: Set(foreignKeys), indexes: indexes)
        }
        return snapshot
    }
}
