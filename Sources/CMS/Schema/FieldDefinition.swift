import Database

/// A field as a `POST /collections` or `POST /fields` body describes it: `{field, type, meta, schema}`.
struct FieldDefinition: Sendable {
    let name: String
    let type: FieldType
    let meta: JSONValue
    var primaryKey = false
    var autoIncrement = false
    var nullable = true
    var unique = false
    var maxLength: Int?
    var precision: Int?
    var scale: Int?
    var defaultValue: JSONValue?
    var foreignKey: (table: String, column: String, onDelete: String)?

    init(_ payload: JSONValue) throws(CMSError) {
        guard let name = payload["field"]?.stringValue, SchemaNames.valid(name) else {
            throw CMSError.invalidPayload("\"field\" must be a name of letters, digits and underscores")
        }
        var special = payload["meta"]?["special"].flatMap { value -> [String]? in
            if case .array(let items) = value { return items.compactMap(\.stringValue) }
            return value.stringValue?.split(separator: ",").map(String.init)
        } ?? []
        let typeName = payload["type"]?.stringValue ?? (special.contains(where: { ["o2m", "m2m", "alias", "no-data", "group"].contains($0) }) ? "alias" : nil)
        guard let typeName, let type = FieldType(rawValue: typeName), type != .unknown else {
            throw CMSError.invalidPayload("\"type\" must be one of \(FieldType.allCases.filter { $0 != .unknown }.map(\.rawValue).joined(separator: ", "))")
        }
        self.name = name
        self.type = type
        let schema = payload["schema"] ?? .null
        primaryKey = schema["is_primary_key"]?.boolValue == true
        autoIncrement = schema["has_auto_increment"]?.boolValue == true
        nullable = !primaryKey && schema["is_nullable"]?.boolValue != false
        unique = schema["is_unique"]?.boolValue == true
        maxLength = schema["max_length"].flatMap(QueryParser.integer)
        precision = schema["numeric_precision"].flatMap(QueryParser.integer)
        scale = schema["numeric_scale"].flatMap(QueryParser.integer)
        if let value = schema["default_value"], !value.isNull { defaultValue = value }
        if let table = schema["foreign_key_table"]?.stringValue {
            guard SchemaNames.valid(table) else { throw CMSError.invalidPayload("\"schema.foreign_key_table\" is not a collection name") }
            let column = schema["foreign_key_column"]?.stringValue ?? "id"
            guard SchemaNames.valid(column) else { throw CMSError.invalidPayload("\"schema.foreign_key_column\" is not a field name") }
            foreignKey = (table, column, schema["on_delete"]?.stringValue?.uppercased() ?? "SET NULL")
        }
        if autoIncrement, ![.integer, .bigInteger].contains(type) { throw CMSError.invalidPayload("Only integer fields can auto-increment") }
        if primaryKey, type == .uuid, !special.contains("uuid") { special.append("uuid") }
        if type == .hash, !special.contains("hash") { special.append("hash") }
        if type == .json, !special.contains("cast-json") { special.append("cast-json") }
        if type == .csv, !special.contains("cast-csv") { special.append("cast-csv") }
        var meta = payload["meta"] ?? .object([])
        if case .object(var dict, var keys) = meta {
            if dict["special"] == nil { keys.append("special") }
            dict["special"] = special.isEmpty ? .null : .array(special.map(JSONValue.string))
            meta = .object(dict, keys: keys)
        }
        self.meta = meta
    }

    /// An existing field as a definition (its foreign key from the snapshot), the starting point of a change.
    static func existing(_ field: FieldSchema, in collection: CollectionSchema, snapshot: SchemaSnapshot,
                         changes: JSONValue = .object([])) throws(CMSError) -> FieldDefinition {
        guard field.type != .unknown else {
            throw CMSError.invalidPayload("Field \"\(collection.name).\(field.name)\" has a column type Depot doesn't know, so its table can't be altered")
        }
        var json = SchemaJSON.field(field, collection: collection)
        var schema = json["schema"] ?? .null
        if let relation = snapshot.m2o(collection.name, field.name), let onDelete = relation.onDelete,
           let related = relation.relatedCollection, let target = snapshot.collections[related] {
            schema = schema.merging(.object([("foreign_key_table", .string(related)), ("foreign_key_column", .string(target.primaryKey)),
                                             ("on_delete", .string(onDelete))]))
        }
        json = json.merging(.object([("schema", schema.merging(changes["schema"] ?? .null)),
                                     ("meta", (json["meta"] ?? .null).merging(changes["meta"] ?? .null))]))
        if let type = changes["type"] { json = json.merging(.object([("type", type)])) }
        return try FieldDefinition(json)
    }

    /// The column type alone (no constraints), or nil for an alias field.
    func typeSQL(_ d: SQLDialect) -> String? {
        type.columnSQL(d, maxLength: maxLength, precision: precision, scale: scale, autoIncrement: autoIncrement && primaryKey)
    }

    /// The literal a `DEFAULT` clause gives, or nil for none.
    func defaultClause(_ d: SQLDialect) -> String? { defaultValue.flatMap { Self.defaultSQL($0, type, d) } }

    /// The column definition, or nil for an alias field.
    func columnSQL(_ d: SQLDialect) -> String? {
        guard let type = typeSQL(d) else { return nil }
        var parts = [d.quote(name), type]
        let rowid = d == .sqlite && autoIncrement && primaryKey
        if primaryKey && !rowid { parts.append("PRIMARY KEY") }
        if !nullable && !primaryKey { parts.append("NOT NULL") }
        if let sql = defaultClause(d) { parts.append("DEFAULT \(sql)") }
        if let fk = foreignKey {
            parts.append("REFERENCES \(d.quote(fk.table)) (\(d.quote(fk.column))) ON DELETE \(["CASCADE", "RESTRICT", "NO ACTION", "SET DEFAULT"].contains(fk.onDelete) ? fk.onDelete : "SET NULL")")
        }
        return parts.joined(separator: " ")
    }

    func uniqueIndexSQL(table: String, _ d: SQLDialect) -> String {
        "CREATE UNIQUE INDEX \(d.quote("\(table)_\(name)_unique")) ON \(d.quote(table)) (\(d.quote(name)))"
    }

    /// A literal default, rendered from a typed value (never pasted from the request).
    private static func defaultSQL(_ value: JSONValue, _ type: FieldType, _ d: SQLDialect) -> String? {
        if value.stringValue?.uppercased() == "CURRENT_TIMESTAMP" || value.stringValue == "now()" {
            return type.isTemporal ? "CURRENT_TIMESTAMP" : nil
        }
        let field = FieldSchema(name: "default", type: type)
        guard let bound = try? FieldValues.database(value, field) else { return nil }
        switch bound {
        case .integer(let i): return String(i)
        case .double(let x): return String(x)
        case .boolean(let b): return d == .sqlite ? (b ? "1" : "0") : (b ? "true" : "false")
        case .text(let s): return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        default: return nil
        }
    }
}

/// Rows of `directus_collections` and `directus_fields`, written from `meta` objects: only the table's own
/// columns are taken, each converted by its declared type.
enum MetadataWriter {
    static func insertCollection(_ name: String, meta: JSONValue, on connection: any DatabaseConnection) throws {
        try insert("directus_collections", fixed: [("collection", .text(name))], meta: meta, on: connection)
    }

    /// The given meta columns change and the others keep their values, as Directus updates a collection's meta.
    /// An UPDATE, never a delete and insert: that would cascade to the rows referencing the collection (shares).
    static func upsertCollection(_ name: String, meta: JSONValue, on connection: any DatabaseConnection) throws {
        guard try !connection.query("SELECT 1 FROM directus_collections WHERE collection = ?", [.text(name)]).isEmpty else {
            return try insertCollection(name, meta: meta, on: connection)
        }
        let values = try metaValues("directus_collections", meta, except: ["collection"])
        guard !values.isEmpty else { return }
        let d = connection.dialect
        try connection.execute("UPDATE directus_collections SET \(values.map { "\(d.quote($0.0)) = ?" }.joined(separator: ", ")) WHERE collection = ?",
                               values.map(\.1) + [.text(name)])
    }

    static func insertField(_ collection: String, _ definition: FieldDefinition, on connection: any DatabaseConnection) throws {
        var fixed: [(String, DatabaseValue)] = [("collection", .text(collection)), ("field", .text(definition.name))]
        if case .array(let flags)? = definition.meta["special"] { fixed.append(("special", .text(flags.compactMap(\.stringValue).joined(separator: ",")))) }
        try insert("directus_fields", fixed: fixed, meta: definition.meta, on: connection)
    }

    private static func insert(_ table: String, fixed: [(String, DatabaseValue)], meta: JSONValue, on connection: any DatabaseConnection) throws {
        let values = fixed + (try metaValues(table, meta, except: Set(fixed.map(\.0))))
        let d = connection.dialect
        try connection.execute("INSERT INTO \(d.quote(table)) (\(values.map { d.quote($0.0) }.joined(separator: ", "))) VALUES (\(values.map { _ in "?" }.joined(separator: ", ")))", values.map(\.1))
    }

    /// The table's own columns among `meta`'s keys, each converted by its declared type.
    private static func metaValues(_ table: String, _ meta: JSONValue, except fixed: Set<String>) throws -> [(String, DatabaseValue)] {
        let schema = CollectionSchema.system(table)
        guard case .object(let dict, let keys) = meta else { return [] }
        var values: [(String, DatabaseValue)] = []
        for key in keys where !fixed.contains(key) && key != "id" && key != "special" {
            guard let field = schema.field(key), let value = dict[key] else { continue }
            values.append((key, try FieldValues.database(value, field)))
        }
        return values
    }
}
