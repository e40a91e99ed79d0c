/// A relation: `collection.field` holds the foreign key of `relatedCollection` (many-to-one); `oneField`, when
/// set, is the alias field on the related collection listing the rows that point at it (one-to-many).
public struct RelationSchema: Sendable, Equatable {
    public let collection: String
    public let field: String
    public var relatedCollection: String?
    public var oneField: String?
    /// For a junction (m2m): the other foreign key of `collection`.
    public var junctionField: String?
    public var sortField: String?
    public var oneDeselectAction = "nullify"
    /// The database constraint's action, nil when there is no constraint.
    public var onDelete: String?
    public var constraintName: String?
    /// The `directus_relations` row id, nil for a relation known only from a foreign key.
    public var metaID: Int?

    public init(collection: String, field: String, relatedCollection: String?, onDelete: String? = nil) {
        self.collection = collection
        self.field = field
        self.relatedCollection = relatedCollection
        self.onDelete = onDelete
    }
}
