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

    /// The system collections and the relations among them, as this snapshot read them from the database.
    public var systemPart: SchemaSnapshot {
        let system = collections.filter { $0.value.isSystem }
        return SchemaSnapshot(collections: system,
                              relations: relations.filter { system[$0.collection] != nil && $0.relatedCollection.map { system[$0] != nil } != false })
    }

    /// A store of the system collection `name` with the columns this snapshot found (the declared ones when the
    /// snapshot lacks it), resolving relations within this snapshot.
    func store(_ name: String, database: any Database) -> CollectionStore {
        CollectionStore(schema: collection(name) ?? .system(name), database: database, snapshot: self)
    }

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
