/// A read request in Directus's query language, validated against a collection's schema.
public struct Query: Sendable, Equatable {
    /// Field names to return; `["*"]` = every field.
    public var fields: [String] = ["*"]
    public var filter: Filter?
    public var sort: [SortKey] = []
    /// nil = every row (Directus's `limit=-1`).
    public var limit: Int? = 100
    public var offset = 0
    /// `meta=total_count`, `filter_count`, `*`.
    public var meta: Set<String> = []

    public init() {}
}

public struct SortKey: Sendable, Equatable {
    public let field: String
    public let descending: Bool
}

/// A filter tree (`{"_and": [...]}`, `{"field": {"_op": value}}`).
public indirect enum Filter: Sendable, Equatable {
    case and([Filter])
    case or([Filter])
    case condition(field: String, op: FilterOperator, value: JSONValue)
}

public enum FilterOperator: String, Sendable, CaseIterable {
    case eq = "_eq", neq = "_neq", lt = "_lt", lte = "_lte", gt = "_gt", gte = "_gte"
    case `in` = "_in", nin = "_nin", null = "_null", nnull = "_nnull"
    case contains = "_contains", ncontains = "_ncontains", icontains = "_icontains"
    case startsWith = "_starts_with", endsWith = "_ends_with", empty = "_empty", nempty = "_nempty"
}
