import Database

/// Writes a `SQLSelect` as text for one dialect, with `?` placeholders and the bound values in order.
struct SQLRenderer {
    let dialect: SQLDialect
    private(set) var binds: [DatabaseValue] = []

    init(dialect: SQLDialect) {
        self.dialect = dialect
    }

    static func render(_ select: SQLSelect, _ dialect: SQLDialect) -> (String, [DatabaseValue]) {
        var renderer = SQLRenderer(dialect: dialect)
        let sql = renderer.select(select)
        return (sql, renderer.binds)
    }

    mutating func select(_ s: SQLSelect) -> String {
        guard let partition = s.partition, s.limit != nil || s.offset > 0 else { return plainSelect(s) }
        // Per-parent limit: number the rows of each parent, then keep the wanted window.
        var inner = s
        inner.partition = nil
        inner.limit = nil
        inner.offset = 0
        inner.orderBy = []
        inner.columns.append((.star, "__window"))
        var sql = plainSelect(inner, window: (partition, s.orderBy))
        sql = "SELECT * FROM (\(sql)) \(q("w")) WHERE \(q("__row")) > \(s.offset)"
        // Offsets and limits are bounded by `QueryBounds`; saturating here keeps a missed check from trapping.
        if let limit = s.limit { sql += " AND \(q("__row")) <= \(s.offset.addingReportingOverflow(limit).overflow ? Int.max : s.offset + limit)" }
        return sql + " ORDER BY \(q("__row"))"
    }

    /// `window`: the row number of `select`, written (and its values bound) where its `__window` column stands.
    private mutating func plainSelect(_ s: SQLSelect, window: (partition: SQLExpression, order: [SQLOrder])? = nil) -> String {
        var parts: [String] = []
        for column in s.columns {
            if column.alias == "__window", let window {
                let partition = expression(window.partition)
                let order = window.order.map { "\(expression($0.expression)) \($0.descending ? "DESC" : "ASC")" }.joined(separator: ", ")
                parts.append("ROW_NUMBER() OVER (PARTITION BY \(partition)\(order.isEmpty ? "" : " ORDER BY \(order)")) AS \(q("__row"))")
                continue
            }
            parts.append("\(expression(column.expression)) AS \(q(column.alias))")
        }
        var sql = "SELECT \(parts.isEmpty ? "1" : parts.joined(separator: ", ")) FROM \(q(s.table)) \(q(s.alias))"
        for join in s.joins { sql += " LEFT JOIN \(q(join.table)) \(q(join.alias)) ON \(expression(join.on))" }
        if let filter = s.filter { sql += " WHERE \(expression(filter))" }
        if !s.groupBy.isEmpty { sql += " GROUP BY " + s.groupBy.map { expression($0) }.joined(separator: ", ") }
        if !s.orderBy.isEmpty {
            sql += " ORDER BY " + s.orderBy.map { order in
                // NULLs sort as the largest value on both dialects: PostgreSQL's own order, which its b-tree
                // indexes serve in either direction; SQLite (NULLs smallest) is told so.
                "\(expression(order.expression)) \(order.descending ? "DESC" : "ASC")" + (dialect == .sqlite ? (order.descending ? " NULLS FIRST" : " NULLS LAST") : "")
            }.joined(separator: ", ")
        }
        if let limit = s.limit { sql += " LIMIT \(limit)" } else if s.offset > 0, dialect == .sqlite { sql += " LIMIT -1" }
        if s.offset > 0 { sql += " OFFSET \(s.offset)" }
        return sql
    }

    private func q(_ identifier: String) -> String { dialect.quote(identifier) }

    /// `(a AND b AND …)`; a long list is split in halves, so the parser's expression tree grows with the log of
    /// its length (SQLite refuses trees deeper than 1,000).
    private mutating func joined(_ parts: ArraySlice<SQLExpression>, _ op: String) -> String {
        guard parts.count > 16 else { return "(" + parts.map { expression($0) }.joined(separator: " \(op) ") + ")" }
        let middle = parts.startIndex + parts.count / 2
        return "(" + joined(parts[..<middle], op) + " \(op) " + joined(parts[middle...], op) + ")"
    }

    /// Case-insensitive: `LOWER(x) LIKE`. Case-sensitive: `LIKE` on PostgreSQL, `GLOB` on SQLite (whose LIKE
    /// ignores ASCII case). The needle's own wildcards are escaped, so it only ever matches itself.
    private mutating func like(_ inner: SQLExpression, _ needle: String, _ match: SQLMatch, insensitive: Bool, negated: Bool) -> String {
        let glob = dialect == .sqlite && !insensitive
        var text = insensitive ? needle.lowercased() : needle
        if glob {
            text = text.map { ["*": "[*]", "?": "[?]", "[": "[[]"][$0] ?? String($0) }.joined()
        } else {
            text = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
        }
        let any = glob ? "*" : "%"
        let pattern = switch match {
        case .contains: any + text + any
        case .prefix: text + any
        case .suffix: any + text
        }
        let subject = expression(insensitive ? .lower(inner) : inner)
        binds.append(.text(pattern))
        let op = glob ? "GLOB" : "LIKE"
        return "\(subject) \(negated ? "NOT " : "")\(op) ?\(glob ? "" : " ESCAPE '\\'")"
    }

    mutating func expression(_ e: SQLExpression) -> String {
        switch e {
        case .column(let table, let name): return "\(q(table)).\(q(name))"
        case .bind(let value): binds.append(value); return "?"
        case .null: return "NULL"
        case .star: return "*"
        case .integer(let i): return String(i)
        case .exists(let s): return "EXISTS (\(select(s)))"
        case .subquery(let s): return "(\(select(s)))"
        case .and(let parts):
            return parts.isEmpty ? expression(.alwaysTrue) : joined(parts[...], "AND")
        case .or(let parts):
            return parts.isEmpty ? expression(.alwaysFalse) : joined(parts[...], "OR")
        case .not(let inner): return "NOT (\(expression(inner)))"
        case .compare(let a, let op, let b): return "\(expression(a)) \(op.rawValue) \(expression(b))"
        case .isNull(let inner, let negated): return "\(expression(inner)) IS \(negated ? "NOT " : "")NULL"
        case .inList(let inner, let items, let negated):
            return "\(expression(inner)) \(negated ? "NOT IN" : "IN") (\(items.map { expression($0) }.joined(separator: ", ")))"
        case .between(let inner, let low, let high, let negated):
            return "\(expression(inner)) \(negated ? "NOT BETWEEN" : "BETWEEN") \(expression(low)) AND \(expression(high))"
        case .like(let inner, let needle, let match, let insensitive, let negated):
            return like(inner, needle, match, insensitive: insensitive, negated: negated)
        case .lower(let inner): return "LOWER(\(expression(inner)))"
        case .caseWhen(let condition, let value): return "CASE WHEN \(expression(condition)) THEN \(expression(value)) END"
        case .text(let inner): return "CAST(\(expression(inner)) AS TEXT)"
        case .aggregate(let function, let inner, let distinct):
            return "\(function.rawValue)(\(distinct ? "DISTINCT " : "")\(expression(inner)))"
        case .datePart(let part, let inner):
            let column = expression(inner)
            switch dialect {
            case .postgres:
                let field = ["weekday": "dow", "week": "week"][part.rawValue] ?? part.rawValue
                return "CAST(EXTRACT(\(field.uppercased()) FROM \(column)) AS integer)"
            case .sqlite:
                // ISO week, as PostgreSQL's: the week of the Thursday in the same Monday-to-Sunday week.
                if part == .week { return "CAST((strftime('%j', date(\(column), '-3 days', 'weekday 4')) - 1) / 7 + 1 AS INTEGER)" }
                let format = ["year": "%Y", "month": "%m", "day": "%d", "weekday": "%w", "hour": "%H", "minute": "%M", "second": "%S"][part.rawValue]!
                return "CAST(strftime('\(format)', \(column)) AS INTEGER)"
            }
        }
    }
}
