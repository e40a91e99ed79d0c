import Database

/// `/relations`: the `directus_relations` row and the foreign key constraint behind it (PostgreSQL: altered in
/// place; SQLite: by rebuilding the table), in one transaction.
extension SchemaService {
    typealias ForeignKey = (table: String, column: String, onDelete: String)

    /// Records a relation and, unless `schema` is null, adds its foreign key constraint.
    public func createRelation(_ payload: JSONValue, caller: Accountability) async throws {
        try requireAdmin(caller)
        guard let collection = payload["collection"]?.stringValue, let field = payload["field"]?.stringValue else {
            throw CMSError.invalidPayload("\"collection\" and \"field\" are required")
        }
        let snapshot = try await cache.snapshot()
        guard let many = snapshot.collection(collection), many.field(field) != nil else { throw CMSError.forbidden }
        let related = payload["related_collection"]?.stringValue
        if let related, snapshot.collection(related) == nil { throw CMSError.invalidPayload("Collection \"\(related)\" does not exist") }
        if snapshot.relation(collection, field)?.metaID != nil { throw CMSError.invalidPayload("Field \"\(collection).\(field)\" already has a relation") }
        let meta = payload["meta"] ?? .null
        let onDelete = try Self.onDelete(payload["schema"]?["on_delete"]) ?? "SET NULL"
        let wantsConstraint = payload["schema"].map { !$0.isNull } ?? true
        let existing = snapshot.relation(collection, field)
        var foreignKey: ForeignKey?
        if wantsConstraint, existing?.onDelete == nil, many.field(field)?.hasColumn == true, let related, let target = snapshot.collection(related) {
            foreignKey = (related, target.primaryKey, onDelete)
        }
        let change = try ForeignKeyChange(many, field: field, to: foreignKey, existing: existing, snapshot: snapshot, dialect: database.dialect)
        try await database.schemaTransaction { connection in
            if change.foreignKey != nil { try change.apply(on: connection) }
            try connection.execute("""
                INSERT INTO directus_relations (many_collection, many_field, one_collection, one_field, junction_field, sort_field, one_deselect_action)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [.text(collection), .text(field), .optional(related), .optional(meta["one_field"]?.stringValue),
                      .optional(meta["junction_field"]?.stringValue), .optional(meta["sort_field"]?.stringValue),
                      .text(meta["one_deselect_action"]?.stringValue ?? "nullify")])
        }
        cache.invalidate()
    }

    /// Changes a relation's metadata (`one_field`, `junction_field`, `sort_field`, `one_deselect_action`) and its
    /// constraint's `schema.on_delete`.
    public func updateRelation(_ collection: String, _ field: String, _ payload: JSONValue, caller: Accountability) async throws {
        try requireAdmin(caller)
        let snapshot = try await cache.snapshot()
        guard let relation = snapshot.relation(collection, field), let many = snapshot.collection(collection) else { throw CMSError.forbidden }
        guard case .object = payload else { throw CMSError.invalidPayload("Payload must be an object") }
        let meta = payload["meta"] ?? .null
        var foreignKey: ForeignKey?
        if let onDelete = try Self.onDelete(payload["schema"]?["on_delete"]), onDelete != relation.onDelete {
            guard relation.onDelete != nil, let related = relation.relatedCollection, let target = snapshot.collection(related) else {
                throw CMSError.invalidPayload("\"\(collection).\(field)\" has no foreign key to change")
            }
            foreignKey = (related, target.primaryKey, onDelete)
        }
        let change = try ForeignKeyChange(many, field: field, to: foreignKey, existing: relation, snapshot: snapshot, dialect: database.dialect)
        func text(_ key: String, _ current: String?) -> DatabaseValue {
            guard let value = meta[key] else { return .optional(current) }
            return .optional(value.stringValue)
        }
        let values: [DatabaseValue] = [text("one_field", relation.oneField), text("junction_field", relation.junctionField),
                                       text("sort_field", relation.sortField), .text(meta["one_deselect_action"]?.stringValue ?? relation.oneDeselectAction)]
        try await database.schemaTransaction { connection in
            if change.foreignKey != nil { try change.apply(on: connection) }
            if relation.metaID != nil {
                try connection.execute("""
                    UPDATE directus_relations SET one_field = ?, junction_field = ?, sort_field = ?, one_deselect_action = ?
                    WHERE many_collection = ? AND many_field = ?
                    """, values + [.text(collection), .text(field)])
            } else if !meta.isNull {
                try connection.execute("""
                    INSERT INTO directus_relations (one_field, junction_field, sort_field, one_deselect_action, many_collection, many_field, one_collection)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, values + [.text(collection), .text(field), .optional(relation.relatedCollection)])
            }
        }
        cache.invalidate()
    }

    /// Removes the relation's row and its foreign key constraint; the column and its values stay.
    public func deleteRelation(_ collection: String, _ field: String, caller: Accountability) async throws {
        try requireAdmin(caller)
        let snapshot = try await cache.snapshot()
        guard let relation = snapshot.relation(collection, field), let many = snapshot.collection(collection) else { throw CMSError.forbidden }
        let change = try ForeignKeyChange(many, field: field, to: nil, existing: relation, snapshot: snapshot, dialect: database.dialect)
        try await database.schemaTransaction { connection in
            if relation.onDelete != nil { try change.apply(on: connection) }
            try connection.execute("DELETE FROM directus_relations WHERE many_collection = ? AND many_field = ?", [.text(collection), .text(field)])
        }
        cache.invalidate()
    }

    static func onDelete(_ value: JSONValue?) throws(CMSError) -> String? {
        guard let value, !value.isNull else { return nil }
        guard let action = value.stringValue?.uppercased(), ["SET NULL", "CASCADE", "NO ACTION", "RESTRICT", "SET DEFAULT"].contains(action) else {
            throw CMSError.invalidPayload("\"schema.on_delete\" must be SET NULL, CASCADE, NO ACTION, RESTRICT or SET DEFAULT")
        }
        return action
    }
}

/// One column's foreign key set, replaced or (with nil) removed. Prepared outside the transaction (the
/// definitions of a SQLite rebuild are checked first), applied inside it.
struct ForeignKeyChange: Sendable {
    let table: String
    let field: String
    let foreignKey: SchemaService.ForeignKey?
    let existingConstraint: String?
    let rebuilt: [FieldDefinition]

    init(_ many: CollectionSchema, field: String, to foreignKey: SchemaService.ForeignKey?, existing: RelationSchema?,
         snapshot: SchemaSnapshot, dialect: SQLDialect) throws(CMSError) {
        table = many.name
        self.field = field
        self.foreignKey = foreignKey
        existingConstraint = existing?.constraintName
        rebuilt = dialect == .sqlite ? try many.columns.map { column throws(CMSError) -> FieldDefinition in
            var definition = try FieldDefinition.existing(column, in: many, snapshot: snapshot)
            if column.name == field { definition.foreignKey = foreignKey }
            return definition
        } : []
    }

    func apply(on connection: any DatabaseConnection) throws {
        let d = connection.dialect
        try CMSError.mappingConstraints(of: table) {
            if d == .sqlite { return try TableRebuild.run(table, columns: rebuilt, on: connection) }
            if let existingConstraint { try connection.execute("ALTER TABLE \(d.quote(table)) DROP CONSTRAINT \(d.quote(existingConstraint))") }
            if let fk = foreignKey {
                try connection.execute("""
                    ALTER TABLE \(d.quote(table)) ADD CONSTRAINT \(d.quote("\(table)_\(field)_foreign")) FOREIGN KEY (\(d.quote(field)))
                    REFERENCES \(d.quote(fk.table)) (\(d.quote(fk.column))) ON DELETE \(fk.onDelete)
                    """)
            }
        }
    }
}
