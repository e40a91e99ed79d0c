import Database

/// `/collections`, `/fields`, `/relations`: tables, columns and foreign keys, with Directus's metadata rows, each
/// change in one transaction; the schema snapshot is rebuilt afterwards. Changes are for administrators; others
/// read only the collections (and fields) their rules name.
public final class SchemaService: Sendable {
    public let database: any Database
    public let cache: SchemaCache
    private let permissions: PermissionsResolver?

    public init(database: any Database, cache: SchemaCache, permissions: PermissionsResolver? = nil) {
        self.database = database
        self.cache = cache
        self.permissions = permissions
    }

    // MARK: reads

    /// The collections the caller may see; only those named in `keys` when given (`SEARCH` with `keys`).
    public func collections(caller: Accountability, keys: [String]? = nil) async throws -> [JSONValue] {
        let snapshot = try await cache.snapshot()
        let visible = try await visibleFields(caller)
        return snapshot.names.filter { (visible?[$0] != nil || visible == nil) && keys?.contains($0) != false }
            .map { SchemaJSON.collection(snapshot.collections[$0]!) }
    }

    public func collection(_ name: String, caller: Accountability) async throws -> JSONValue {
        let visible = try await visibleFields(caller)
        guard visible == nil || visible?[name] != nil else { throw CMSError.forbidden }
        return SchemaJSON.collection(try await cache.collection(name))
    }

    public func fields(_ collection: String? = nil, caller: Accountability) async throws -> [JSONValue] {
        let snapshot = try await cache.snapshot()
        let visible = try await visibleFields(caller)
        let names = try collection.map { name throws(CMSError) in
            guard snapshot.collection(name) != nil, visible == nil || visible?[name] != nil else { throw CMSError.forbidden }
            return [name]
        } ?? snapshot.names.filter { visible == nil || visible?[$0] != nil }
        return names.flatMap { name in
            snapshot.collections[name]!.fields.filter { Self.shows($0.name, visible?[name]) }.map { SchemaJSON.field($0, collection: snapshot.collections[name]!) }
        }
    }

    public func field(_ collection: String, _ field: String, caller: Accountability) async throws -> JSONValue {
        let schema = try await cache.collection(collection)
        let visible = try await visibleFields(caller)
        guard let found = schema.field(field), visible == nil || Self.shows(field, visible?[collection] ?? []) else { throw CMSError.forbidden }
        return SchemaJSON.field(found, collection: schema)
    }

    public func relations(_ collection: String? = nil, caller: Accountability) async throws -> [JSONValue] {
        let visible = try await visibleFields(caller)
        return try await cache.snapshot().relations
            .filter { (collection == nil || $0.collection == collection) && (visible == nil || visible?[$0.collection] != nil) }
            .map(SchemaJSON.relation)
    }

    /// Per collection, the fields any of the caller's rules name; nil = everything (administrators).
    private func visibleFields(_ caller: Accountability) async throws -> [String: Set<String>]? {
        guard let permissions, !caller.admin else { return nil }
        let resolved = try await permissions.permissions(for: caller)
        var out: [String: Set<String>] = [:]
        for rule in resolved.rules { out[rule.collection, default: []].formUnion(rule.fields) }
        return out
    }

    private static func shows(_ field: String, _ allowed: Set<String>?) -> Bool {
        guard let allowed else { return true }
        return allowed.contains("*") || allowed.contains(field)
    }

    /// Schema changes are for administrators only (the caller's flag comes from its policies, resolved when its
    /// token was checked).
    func requireAdmin(_ caller: Accountability) throws(CMSError) {
        guard caller.admin || permissions == nil else { throw CMSError.forbidden }
    }

    // MARK: changes

    /// Creates the table (a primary key `id` is added when no field is one) and the metadata rows.
    public func createCollection(_ payload: JSONValue, caller: Accountability) async throws {
        try requireAdmin(caller)
        guard let name = payload["collection"]?.stringValue, SchemaNames.valid(name) else {
            throw CMSError.invalidPayload("\"collection\" must be a name of letters, digits and underscores")
        }
        guard !name.hasPrefix("directus_"), !name.hasPrefix("depot_") else { throw CMSError.invalidPayload("Collection names can't start with \"directus_\"") }
        if try await cache.snapshot().collection(name) != nil { throw CMSError.invalidPayload("Collection \"\(name)\" already exists") }
        var definitions: [FieldDefinition] = []
        if case .array(let fields)? = payload["fields"] { definitions = try fields.map { try FieldDefinition($0) } }
        let folder = payload["schema"]?.isNull == true
        if !folder, !definitions.contains(where: \.primaryKey) {
            definitions.insert(try FieldDefinition(.object([("field", "id"), ("type", "integer"),
                                                            ("schema", .object([("is_primary_key", true), ("has_auto_increment", true)])),
                                                            ("meta", .object([("hidden", true), ("readonly", true), ("interface", "input")]))])), at: 0)
        }
        let meta = payload["meta"] ?? .null
        let fields = definitions
        try await database.transaction { connection in
            let d = connection.dialect
            if !folder {
                let columns = fields.compactMap { $0.columnSQL(d) }
                try connection.execute("CREATE TABLE \(d.quote(name)) (\(columns.joined(separator: ", ")))")
                for definition in fields where definition.unique && !definition.primaryKey {
                    try connection.execute(definition.uniqueIndexSQL(table: name, d))
                }
            }
            try MetadataWriter.insertCollection(name, meta: meta, on: connection)
            for definition in fields { try MetadataWriter.insertField(name, definition, on: connection) }
        }
        cache.invalidate()
    }

    public func updateCollection(_ name: String, _ payload: JSONValue, caller: Accountability) async throws {
        try requireAdmin(caller)
        _ = try await cache.collection(name)
        let meta = payload["meta"] ?? .object([])
        try await database.transaction { connection in try MetadataWriter.upsertCollection(name, meta: meta, on: connection) }
        cache.invalidate()
    }

    public func deleteCollection(_ name: String, caller: Accountability) async throws {
        try requireAdmin(caller)
        let collection = try await cache.collection(name)
        guard !collection.isSystem else { throw CMSError.forbidden }
        try await database.transaction { connection in
            let d = connection.dialect
            if collection.hasTable { try connection.execute("DROP TABLE \(d.quote(name))\(d == .postgres ? " CASCADE" : "")") }
            try connection.execute("DELETE FROM directus_collections WHERE collection = ?", [.text(name)])
            try connection.execute("DELETE FROM directus_fields WHERE collection = ?", [.text(name)])
            try connection.execute("DELETE FROM directus_relations WHERE many_collection = ?", [.text(name)])
            try connection.execute("UPDATE directus_relations SET one_field = NULL WHERE one_collection = ?", [.text(name)])
        }
        cache.invalidate()
    }

    public func createField(_ collection: String, _ payload: JSONValue, caller: Accountability) async throws {
        try requireAdmin(caller)
        let schema = try await cache.collection(collection)
        guard !schema.isSystem, schema.hasTable || payload["type"]?.stringValue == "alias" else { throw CMSError.forbidden }
        let definition = try FieldDefinition(payload)
        guard schema.field(definition.name) == nil else { throw CMSError.invalidPayload("Field \"\(definition.name)\" already exists") }
        guard !definition.primaryKey else { throw CMSError.invalidPayload("A primary key can only be created with its collection") }
        if !definition.nullable, definition.defaultValue == nil, definition.type != .alias {
            throw CMSError.invalidPayload("A new field that can't be null needs a default value")
        }
        try await database.transaction { connection in
            let d = connection.dialect
            if let column = definition.columnSQL(d) {
                try connection.execute("ALTER TABLE \(d.quote(collection)) ADD COLUMN \(column)")
                if definition.unique { try connection.execute(definition.uniqueIndexSQL(table: collection, d)) }
            }
            try MetadataWriter.insertField(collection, definition, on: connection)
        }
        cache.invalidate()
    }

    /// Changes a field's type, length, nullability, default, uniqueness or metadata, keeping its values
    /// (converted to the new type; values that don't convert are INVALID_PAYLOAD and nothing changes).
    public func updateField(_ collection: String, _ field: String, _ payload: JSONValue, caller: Accountability) async throws {
        try requireAdmin(caller)
        let snapshot = try await cache.snapshot()
        guard let schema = snapshot.collection(collection), !schema.isSystem, let current = schema.field(field) else { throw CMSError.forbidden }
        guard case .object = payload else { throw CMSError.invalidPayload("Payload must be an object") }
        if let name = payload["field"]?.stringValue, name != field { throw CMSError.invalidPayload("A field can't be renamed") }
        let before = try FieldDefinition.existing(current, in: schema, snapshot: snapshot)
        var changed = try FieldDefinition.existing(current, in: schema, snapshot: snapshot, changes: payload)
        changed.foreignKey = before.foreignKey   // foreign keys change through /relations
        let after = changed
        guard after.primaryKey == before.primaryKey, after.autoIncrement == before.autoIncrement, (after.type == .alias) == (before.type == .alias) else {
            throw CMSError.invalidPayload("A field's primary key, auto-increment and alias kind can't be changed")
        }
        let d = database.dialect
        let columnChanged = before.columnSQL(d) != after.columnSQL(d) || before.unique != after.unique
        let rebuilt: [FieldDefinition] = d == .sqlite && columnChanged
            ? try schema.columns.map { $0.name == field ? after : try FieldDefinition.existing($0, in: schema, snapshot: snapshot) } : []
        let writesMeta = current.meta != nil || payload["meta"] != nil
        do {
            try await database.schemaTransaction { connection in
                try CMSError.mappingConstraints(of: collection) {
                    if columnChanged {
                        try ColumnAlteration.checkLength(collection, before: before, after: after, on: connection)
                        if d == .sqlite {
                            try TableRebuild.run(collection, columns: rebuilt, on: connection)
                            try ColumnAlteration.checkSQLiteConversion(collection, before: before, after: after, on: connection)
                        } else {
                            try ColumnAlteration.postgres(collection, from: before, to: after, on: connection)
                        }
                    }
                    if writesMeta {
                        try connection.execute("DELETE FROM directus_fields WHERE collection = ? AND field = ?", [.text(collection), .text(field)])
                        try MetadataWriter.insertField(collection, after, on: connection)
                    }
                }
            }
        } catch let error as DatabaseError where ColumnAlteration.isConversionFailure(error) {
            throw ColumnAlteration.conversionFailure(field)
        }
        cache.invalidate()
    }

    public func deleteField(_ collection: String, _ field: String, caller: Accountability) async throws {
        try requireAdmin(caller)
        let schema = try await cache.collection(collection)
        guard !schema.isSystem, let found = schema.field(field), !found.isPrimaryKey else { throw CMSError.forbidden }
        let snapshot = try await cache.snapshot()
        try await database.transaction { connection in
            let d = connection.dialect
            if found.hasColumn {
                if d == .sqlite {
                    for index in try connection.query("SELECT name FROM pragma_index_list(?) WHERE origin = 'c'", [.text(collection)]) {
                        let columns = try connection.query("SELECT name FROM pragma_index_info(?)", [index["name"]])
                        if columns.contains(where: { $0["name"].string == field }), let indexName = index["name"].string {
                            try connection.execute("DROP INDEX \(d.quote(indexName))")
                        }
                    }
                }
                try connection.execute("ALTER TABLE \(d.quote(collection)) DROP COLUMN \(d.quote(field))")
            }
            try connection.execute("DELETE FROM directus_fields WHERE collection = ? AND field = ?", [.text(collection), .text(field)])
            try connection.execute("DELETE FROM directus_relations WHERE many_collection = ? AND many_field = ?", [.text(collection), .text(field)])
            if let relation = snapshot.o2m(collection, field), relation.metaID != nil {
                try connection.execute("UPDATE directus_relations SET one_field = NULL WHERE many_collection = ? AND many_field = ?",
                                       [.text(relation.collection), .text(relation.field)])
            }
        }
        cache.invalidate()
    }
}

enum SchemaNames {
    /// Identifiers Depot creates: letters, digits and underscores, not starting with a digit, at most 64.
    static func valid(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.count <= 64, !("0"..."9").contains(Character(first)) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
