import Database

/// Compiles a validated `Query` into SQL text for one dialect plus bound values. Identifiers come from the
/// schema and are quoted; every value is a bound parameter.
struct SQLBuilder {
    let schema: CollectionSchema
    let dialect: SQLDialect

    func columns(_ fields: [String]) -> [String] {
        var out: [String] = []
        for field in fields {
            if field == "*" { out += schema.fields.map(\.name).filter { !out.contains($0) } }
            else if !out.contains(field) { out.append(field) }
        }
        return out
    }

    func select(_ query: Query, columns: [String]) throws(CMSError) -> (String, [DatabaseValue]) {
        var binds: [DatabaseValue] = []
        var sql = "SELECT \(columns.map(dialect.quote).joined(separator: ", ")) FROM \(dialect.quote(schema.name))"
        if let filter = query.filter { sql += " WHERE " + (try condition(filter, &binds)) }
        let order = query.sort.isEmpty ? [SortKey(field: schema.primaryKey, descending: false)] : query.sort
        sql += " ORDER BY " + order.map { "\(dialect.quote($0.field)) \($0.descending ? "DESC" : "ASC")" }.joined(separator: ", ")
        if let limit = query.limit { sql += " LIMIT \(limit)" } else if query.offset > 0 { sql += dialect == .sqlite ? " LIMIT -1" : "" }
        if query.offset > 0 { sql += " OFFSET \(query.offset)" }
        return (sql, binds)
    }

    func count(_ filter: Filter?) throws(CMSError) -> (String, [DatabaseValue]) {
        var binds: [DatabaseValue] = []
        var sql = "SELECT COUNT(*) AS count FROM \(dialect.quote(schema.name))"
        if let filter { sql += " WHERE " + (try condition(filter, &binds)) }
        return (sql, binds)
    }

    func condition(_ filter: Filter, _ binds: inout [DatabaseValue]) throws(CMSError) -> String {
        switch filter {
        case .and(let parts), .or(let parts):
            if parts.isEmpty { return "1 = 1" }
            var compiled: [String] = []
            for part in parts { compiled.append(try condition(part, &binds)) }
            let glue: String
            if case .and = filter { glue = " AND " } else { glue = " OR " }
            return "(" + compiled.joined(separator: glue) + ")"
        case .condition(let name, let op, let value):
            let field = schema.field(name)!
            let column = dialect.quote(name)
            func bind(_ v: JSONValue) throws(CMSError) -> String {
                binds.append(try FieldValues.database(v, field, inFilter: true))
                return "?"
            }
            func like(_ pattern: (String) -> String, negate: Bool = false, insensitive: Bool = false) throws(CMSError) -> String {
                guard let text = value.stringValue ?? (value.isNull ? nil : String(decoding: value.serialized(), as: UTF8.self)) else {
                    throw CMSError.invalidQuery("\"\(op.rawValue)\" needs a value")
                }
                let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_")
                binds.append(.text(pattern(insensitive ? escaped.lowercased() : escaped)))
                let target = insensitive ? "LOWER(\(column))" : column
                return "\(target) \(negate ? "NOT " : "")LIKE ? ESCAPE '\\'"
            }
            switch op {
            case .eq: return value.isNull ? "\(column) IS NULL" : "\(column) = \(try bind(value))"
            case .neq: return value.isNull ? "\(column) IS NOT NULL" : "(\(column) <> \(try bind(value)) OR \(column) IS NULL)"
            case .lt: return "\(column) < \(try bind(value))"
            case .lte: return "\(column) <= \(try bind(value))"
            case .gt: return "\(column) > \(try bind(value))"
            case .gte: return "\(column) >= \(try bind(value))"
            case .in, .nin:
                let items: [JSONValue]
                if case .array(let array) = value { items = array }
                else if let text = value.stringValue { items = text.split(separator: ",").map { .string(String($0)) } }
                else { throw CMSError.invalidQuery("\"\(op.rawValue)\" needs an array") }
                if items.isEmpty { return op == .in ? "1 = 0" : "1 = 1" }
                var marks: [String] = []
                for item in items { marks.append(try bind(item)) }
                return "\(column) \(op == .in ? "IN" : "NOT IN") (\(marks.joined(separator: ", ")))"
            case .null, .nnull:
                let wanted = value.boolValue ?? (value.stringValue == "true")
                return "\(column) IS \((op == .null) == wanted ? "" : "NOT ")NULL"
            case .empty, .nempty:
                let wanted = value.boolValue ?? (value.stringValue == "true")
                let empty = "(\(column) IS NULL OR \(column) = '')"
                return (op == .empty) == wanted ? empty : "NOT \(empty)"
            case .contains: return try like { "%\($0)%" }
            case .ncontains: return try like({ "%\($0)%" }, negate: true)
            case .icontains: return try like({ "%\($0)%" }, insensitive: true)
            case .startsWith: return try like { "\($0)%" }
            case .endsWith: return try like { "%\($0)" }
            }
        }
    }
}
