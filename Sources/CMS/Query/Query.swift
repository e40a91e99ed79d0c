/// A read request in Directus's query language, as the caller wrote it (parsed, not yet checked against the
/// schema: `QueryCompiler` does that). A permission filter is later ANDed into `filter`.
public struct Query: Sendable, Equatable {
    /// Field paths (`title`, `author.name`, `*`, `*.*`, `year(date)`); nil = `*`.
    public var fields: [String]? = nil
    /// The filter in its JSON form (`{"status":{"_eq":"published"}}`).
    public var filter: JSONValue? = nil
    public var search: String? = nil
    /// Sort keys, `-` for descending; nil = the collection's sort field or primary key.
    public var sort: [String]? = nil
    /// nil = every row (Directus's `limit=-1`).
    public var limit: Int? = 100
    public var offset = 0
    public var page: Int? = nil
    /// `total_count`, `filter_count`.
    public var meta: Set<String> = []
    /// Aggregate function → fields (`["count": ["*"], "sum": ["price"]]`).
    public var aggregate: [String: [String]] = [:]
    public var groupBy: [String] = []
    /// Per-relation queries: relational field → `{_filter, _sort, _limit, …, nested relation: {…}}`.
    public var deep: JSONValue? = nil
    /// Output name → field (`{"all_comments": "comments"}`).
    public var alias: [String: String] = [:]
    /// Answer as a download in this format.
    public var export: ExportFormat? = nil

    public init() {}

    /// Adds `condition` to the filter with AND (how permission filters are applied).
    public mutating func and(_ condition: JSONValue) {
        filter = filter.map { .object([("_and", .array([$0, condition]))]) } ?? condition
    }
}
