/// Table aliases of one compiled query tree: generated (`t0`, `t1`, …), never taken from the request.
final class AliasAllocator {
    private var tables = 0
    private var columns = 0
    func table() -> String { defer { tables += 1 }; return "t\(tables)" }
    func column() -> String { defer { columns += 1 }; return "c\(columns)" }
}

/// One SELECT being built: its many-to-one joins are shared by fields, filter and sort, one join per path.
struct SelectScope {
    var select: SQLSelect
    let snapshot: SchemaSnapshot
    let aliases: AliasAllocator
    private var joined: [String: String] = [:]

    init(collection: CollectionSchema, snapshot: SchemaSnapshot, aliases: AliasAllocator) {
        self.select = SQLSelect(table: collection.name, alias: aliases.table())
        self.snapshot = snapshot
        self.aliases = aliases
    }

    var rootAlias: String { select.alias }

    /// The alias of `relation`'s related table joined from `alias` (LEFT JOIN on its primary key).
    mutating func join(from alias: String, _ relation: RelationSchema) throws(CMSError) -> (alias: String, collection: CollectionSchema) {
        guard let name = relation.relatedCollection, let related = snapshot.collection(name), related.hasTable else {
            throw CMSError.invalidQuery("Relation \"\(relation.field)\" has no related collection")
        }
        let key = "\(alias).\(relation.field)"
        if let existing = joined[key] { return (existing, related) }
        let target = aliases.table()
        select.joins.append(SQLJoin(table: related.name, alias: target,
                                    on: .compare(.column(table: target, name: related.primaryKey), .eq, .column(table: alias, name: relation.field))))
        joined[key] = target
        return (target, related)
    }
}
