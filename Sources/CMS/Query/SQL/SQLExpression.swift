import Database

/// The SQL a query compiles to, before it is written out for one dialect. Identifiers in it come from the
/// schema snapshot or are generated aliases (`t0`, `c3`); values are always `.bind`.
indirect enum SQLExpression: Sendable {
    case column(table: String, name: String)
    case bind(DatabaseValue)
    case null
    case star
    case integer(Int)
    /// `EXISTS (subquery)`.
    case exists(SQLSelect)
    case subquery(SQLSelect)
    case and([SQLExpression])
    case or([SQLExpression])
    case not(SQLExpression)
    case compare(SQLExpression, SQLComparison, SQLExpression)
    case isNull(SQLExpression, negated: Bool)
    case inList(SQLExpression, [SQLExpression], negated: Bool)
    case between(SQLExpression, SQLExpression, SQLExpression, negated: Bool)
    /// Text containing, starting or ending with `needle` (bound, its wildcards escaped per dialect).
    case like(SQLExpression, needle: String, match: SQLMatch, insensitive: Bool, negated: Bool)
    case lower(SQLExpression)
    case aggregate(SQLAggregate, SQLExpression, distinct: Bool)
    case datePart(SQLDatePart, SQLExpression)
    /// `CASE WHEN condition THEN value END` (null otherwise).
    case caseWhen(SQLExpression, SQLExpression)
    /// The expression as text (for LIKE on numbers and uuids).
    case text(SQLExpression)

    static let alwaysTrue = SQLExpression.compare(.integer(1), .eq, .integer(1))
    static let alwaysFalse = SQLExpression.compare(.integer(1), .eq, .integer(0))
}

enum SQLMatch: Sendable { case contains, prefix, suffix }

enum SQLComparison: String, Sendable {
    case eq = "=", neq = "<>", lt = "<", lte = "<=", gt = ">", gte = ">="
}

enum SQLAggregate: String, Sendable {
    case count = "COUNT", sum = "SUM", avg = "AVG", min = "MIN", max = "MAX"
}

/// Directus's date functions (`year(date)` …).
enum SQLDatePart: String, Sendable, CaseIterable {
    case year, month, week, day, weekday, hour, minute, second
}

struct SQLJoin: Sendable {
    let table: String
    let alias: String
    let on: SQLExpression
}

struct SQLOrder: Sendable {
    let expression: SQLExpression
    let descending: Bool
}

/// One SELECT statement.
struct SQLSelect: Sendable {
    var columns: [(expression: SQLExpression, alias: String)] = []
    var table: String
    var alias: String
    var joins: [SQLJoin] = []
    var filter: SQLExpression?
    var groupBy: [SQLExpression] = []
    var orderBy: [SQLOrder] = []
    var limit: Int?
    var offset = 0
    /// Limit and offset applied per value of this expression (one-to-many children of many parents).
    var partition: SQLExpression?

    init(table: String, alias: String) {
        self.table = table
        self.alias = alias
    }
}
