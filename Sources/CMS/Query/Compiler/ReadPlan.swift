import Database

/// How one selected column (or a related row, or a list of children) becomes a key of the answer.
indirect enum OutputNode: Sendable {
    /// A value read from the select column `column`.
    case value(key: String, column: String, field: FieldSchema)
    /// A joined many-to-one row; null when `presence` (its primary key) is null.
    case object(key: String, presence: String, children: [OutputNode])
    /// One-to-many children, read by one follow-up query for all parents; `parentKey` is the select column
    /// holding this row's primary key.
    case children(key: String, parentKey: String, plan: ChildPlan)
}

/// The follow-up query of a one-to-many field: its select has no link condition yet; the runner adds
/// `foreign key IN (parent keys)` in batches.
struct ChildPlan: Sendable {
    let relation: RelationSchema
    var select: SQLSelect
    var outputs: [OutputNode]
    /// Select column holding the foreign key (which parent a row belongs to).
    let foreignKey: String
    /// Set when only the children's primary keys were asked for: the answer is an array of keys.
    let keysOnly: String?
}

/// A compiled list read: the root SELECT, how to decode its rows, and the counts `meta` asks for.
struct ReadPlan: Sendable {
    var select: SQLSelect
    var outputs: [OutputNode]
    var totalCount: SQLSelect?
    var filterCount: SQLSelect?
    /// Set for aggregate queries: the rows decode into Directus's aggregate shape instead of `outputs`.
    var aggregate: [AggregateOutput]?
    /// The select column holding each row's primary key when the compiler was asked for it (`keyed`).
    var keyColumn: String?
}

/// One column of an aggregate answer: a group key (top level) or `function → field` (nested).
struct AggregateOutput: Sendable {
    let column: String
    let function: String?
    let field: String
    let schema: FieldSchema?
}
