/// The tables a compiled read reads, taken from its SQL AST: what a cached answer depends on.
extension SQLSelect {
    /// Its own table, its joins' and those of every subquery in any of its clauses (permission filters,
    /// relational filters, `count()` fields).
    var tables: Set<String> {
        var found: Set<String> = []
        collectTables(into: &found)
        return found
    }

    func collectTables(into found: inout Set<String>) {
        found.insert(table)
        for join in joins {
            found.insert(join.table)
            join.on.collectTables(into: &found)
        }
        for column in columns { column.expression.collectTables(into: &found) }
        filter?.collectTables(into: &found)
        for expression in groupBy { expression.collectTables(into: &found) }
        for order in orderBy { order.expression.collectTables(into: &found) }
        partition?.collectTables(into: &found)
    }
}

extension SQLExpression {
    func collectTables(into found: inout Set<String>) {
        switch self {
        case .exists(let select), .subquery(let select): select.collectTables(into: &found)
        case .and(let parts), .or(let parts): for part in parts { part.collectTables(into: &found) }
        case .not(let inner), .isNull(let inner, _), .like(let inner, _, _, _, _), .lower(let inner), .aggregate(_, let inner, _),
             .datePart(_, let inner), .text(let inner):
            inner.collectTables(into: &found)
        case .compare(let a, _, let b), .caseWhen(let a, let b):
            a.collectTables(into: &found)
            b.collectTables(into: &found)
        case .inList(let inner, let items, _):
            inner.collectTables(into: &found)
            for item in items { item.collectTables(into: &found) }
        case .between(let inner, let low, let high, _):
            for part in [inner, low, high] { part.collectTables(into: &found) }
        case .column, .bind, .null, .star, .integer: break
        }
    }
}

extension ReadPlan {
    /// Every table the plan's statements read: the root select, the counts `meta` asks for and, level by level,
    /// the one-to-many follow-ups (junctions of many-to-many fields included).
    var tables: Set<String> {
        var found = select.tables
        totalCount?.collectTables(into: &found)
        filterCount?.collectTables(into: &found)
        Self.collectTables(outputs, into: &found)
        return found
    }

    private static func collectTables(_ outputs: [OutputNode], into found: inout Set<String>) {
        for node in outputs {
            switch node {
            case .value: break
            case .object(_, _, let children): collectTables(children, into: &found)
            case .children(_, _, let plan):
                plan.select.collectTables(into: &found)
                collectTables(plan.outputs, into: &found)
            }
        }
    }
}
