import Database

/// Every collection, field and relation at one moment: built from the database catalog plus Directus's metadata
/// tables, cached, and rebuilt after a schema change. Queries are validated against it.
public struct SchemaSnapshot: Sendable {
    public var collections: [String: CollectionSchema]
    public var relations: [RelationSchema]

    public init(collections: [String: CollectionSchema], relations: [RelationSchema]) {
        self.collections = collections
        self.relations = relations
    }

    /// Only the system collections and their relations, as the migrations declare them.
    public static let system = SchemaSnapshot(
        collections: Dictionary(uniqueKeysWithValues: SystemTables.collections.map { ($0.name, CollectionSchema.system($0.name)) }),
        relations: CollectionSchema.systemRelations())

    public func collection(_ name: String) -> CollectionSchema? { collections[name] }

    /// Collection names, user collections first, each group sorted.
    public var names: [String] {
        collections.keys.sorted { a, b in
            let (sa, sb) = (collections[a]!.isSystem, collections[b]!.isSystem)
            return sa == sb ? a < b : !sa
        }
    }

    /// The many-to-one relation whose foreign key is `collection.field`.
    public func m2o(_ collection: String, _ field: String) -> RelationSchema? {
        relations.first { $0.collection == collection && $0.field == field && $0.relatedCollection != nil }
    }

    /// The one-to-many relation listed by the alias field `collection.field`.
    public func o2m(_ collection: String, _ field: String) -> RelationSchema? {
        relations.first { $0.relatedCollection == collection && $0.oneField == field }
    }

    public func relation(_ collection: String, _ field: String) -> RelationSchema? {
        relations.first { $0.collection == collection && $0.field == field }
    }
}
