import Database

/// Runs a `ReadPlan` on one connection: the root SELECT, then one batched query per one-to-many level (keys in
/// chunks of `batchSize`), and decodes the rows into the answer's objects.
struct QueryRunner {
    let connection: any DatabaseConnection
    static let batchSize = 500

    func items(_ plan: ReadPlan) throws -> [JSONValue] {
        try keyedItems(plan).map(\.item)
    }

    /// The items with the primary key of the row each was read from (nil unless the plan is `keyed`).
    func keyedItems(_ plan: ReadPlan) throws -> [(key: String?, item: JSONValue)] {
        let (sql, binds) = try render(plan.select)
        let rows = try connection.query(sql, binds)
        let items: [JSONValue]
        if let aggregate = plan.aggregate { items = rows.map { Self.aggregateRow($0, aggregate) } } else { items = try decode(rows, plan.outputs) }
        return zip(rows, items).map { row, item in (plan.keyColumn.flatMap { row[$0].string }, item) }
    }

    func count(_ select: SQLSelect) throws -> Int64 {
        let (sql, binds) = try render(select)
        return Int64(try connection.query(sql, binds).first?["count"].int ?? 0)
    }

    /// The statement's text and values. SQLite takes at most 32,766 values and PostgreSQL 65,535: a query with more
    /// is the caller's to narrow, not a database failure.
    private func render(_ select: SQLSelect) throws(CMSError) -> (String, [DatabaseValue]) {
        let (sql, binds) = SQLRenderer.render(select, connection.dialect)
        guard binds.count <= Self.maxBinds else {
            throw CMSError.invalidQuery("The query has \(binds.count) values, more than the \(Self.maxBinds) one read can have")
        }
        return (sql, binds)
    }

    static let maxBinds = 32_766

    private func decode(_ rows: [Row], _ outputs: [OutputNode]) throws -> [JSONValue] {
        var children: [String: [String: [JSONValue]]] = [:]   // parent-key column → parent key → children
        try loadChildren(rows, outputs, into: &children)
        return rows.map { Self.object($0, outputs, children) }
    }

    /// Runs each one-to-many follow-up for the parent keys present in `rows`.
    private func loadChildren(_ rows: [Row], _ outputs: [OutputNode], into children: inout [String: [String: [JSONValue]]]) throws {
        for node in outputs {
            switch node {
            case .object(_, _, let inner): try loadChildren(rows, inner, into: &children)
            case .children(_, let parentKey, let plan):
                var keys: [DatabaseValue] = [], seen: Set<String> = []
                for row in rows {
                    let key = row[parentKey]
                    if let text = key.string, seen.insert(text).inserted { keys.append(key) }
                }
                var grouped: [String: [JSONValue]] = [:]
                var start = 0
                while start < keys.count {
                    let batch = Array(keys[start..<min(start + Self.batchSize, keys.count)])
                    start += Self.batchSize
                    var select = plan.select
                    let link = SQLExpression.inList(.column(table: select.alias, name: plan.relation.field), batch.map(SQLExpression.bind), negated: false)
                    select.filter = select.filter.map { .and([link, $0]) } ?? link
                    let (sql, binds) = try render(select)
                    let childRows = try connection.query(sql, binds)
                    let values: [JSONValue]
                    if let keysOnly = plan.keysOnly, case .value(_, _, let field)? = plan.outputs.first {
                        values = childRows.map { FieldValues.json($0[keysOnly], field) }
                    } else {
                        values = try decode(childRows, plan.outputs)
                    }
                    for (row, value) in zip(childRows, values) {
                        grouped[row[plan.foreignKey].string ?? "", default: []].append(value)
                    }
                }
                children[parentKey] = grouped
            case .value: break
            }
        }
    }

    private static func object(_ row: Row, _ outputs: [OutputNode], _ children: [String: [String: [JSONValue]]]) -> JSONValue {
        .object(outputs.map { node in
            switch node {
            case .value(let key, let column, let field):
                return (key, FieldValues.json(row[column], field))
            case .object(let key, let presence, let inner):
                return (key, row[presence].isNull ? .null : object(row, inner, children))
            case .children(let key, let parentKey, _):
                guard let parent = row[parentKey].string else { return (key, .null) }
                return (key, .array(children[parentKey]?[parent] ?? []))
            }
        })
    }

    /// Group keys at the top level, aggregates nested by function (`count=*` and `countAll` flat).
    static func aggregateRow(_ row: Row, _ outputs: [AggregateOutput]) -> JSONValue {
        var pairs: [(String, JSONValue)] = []
        var nested: [(String, [(String, JSONValue)])] = []
        for output in outputs {
            let raw = row[output.column]
            let value: JSONValue
            if let schema = output.schema { value = FieldValues.json(raw, schema) } else { value = numberText(raw) }
            guard let function = output.function else { pairs.append((output.field, value)); continue }
            if function == "countAll" || (function == "count" && output.field == "*") { pairs.append((function, value)); continue }
            if let index = nested.firstIndex(where: { $0.0 == function }) { nested[index].1.append((output.field, value)) }
            else { nested.append((function, [(output.field, value)])) }
        }
        return .object(pairs + nested.map { ($0.0, .object($0.1)) })
    }

    /// Counts, sums and averages as text, as PostgreSQL returns them to Directus (exact, whatever the size).
    private static func numberText(_ value: DatabaseValue) -> JSONValue {
        switch value {
        case .null: return .null
        case .integer(let i): return .string(String(i))
        case .double(let d): return .string(d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d))
        case .text(let s):
            // PostgreSQL numeric text: trim trailing zeros of averages so both dialects agree.
            guard s.contains("."), let number = Double(s) else { return .string(s) }
            return numberText(.double(number))
        default: return .string(value.string ?? "")
        }
    }
}
