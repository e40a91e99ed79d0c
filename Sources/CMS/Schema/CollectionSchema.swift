import Database

/// One field of a collection as the query path and the schema routes see it.
public struct FieldSchema: Sendable, Equatable {
    public let name: String
    public var type: FieldType
    /// The column type as the database reports it (nil for alias fields).
    public var dataType: String?
    public var nullable = true
    public var defaultValue: JSONValue = .null
    public var maxLength: Int?
    public var precision: Int?
    public var scale: Int?
    public var isPrimaryKey = false
    public var autoIncrement = false
    public var unique = false
    /// Directus's `meta.special` flags (`uuid`, `hash`, `cast-json`, `o2m`, …).
    public var special: [String] = []
    /// The `directus_fields` row, or nil for a field known only from the database.
    public var meta: JSONValue?

    public init(name: String, type: FieldType) {
        self.name = name
        self.type = type
    }

    public var hasColumn: Bool { type != .alias }
    public func has(_ flag: String) -> Bool { special.contains(flag) }
}

/// A collection's fields and primary key: identifiers in a query are checked against this, never pasted.
public struct CollectionSchema: Sendable {
    public let name: String
    /// Fields in their column order (alias fields last).
    public var fields: [FieldSchema]
    public var primaryKey: String
    /// The `directus_collections` row, or nil for a table known only from the database.
    public var meta: JSONValue?
    /// False for a folder collection (`schema: null`): metadata without a table.
    public var hasTable = true

    public init(name: String, fields: [FieldSchema], primaryKey: String) {
        self.name = name
        self.fields = fields
        self.primaryKey = primaryKey
    }

    public func field(_ name: String) -> FieldSchema? { fields.first { $0.name == name } }
    public var isSystem: Bool { name.hasPrefix("directus_") || name.hasPrefix("depot_") }
    public var singleton: Bool { meta?["singleton"]?.boolValue == true }
    /// Default sort: the collection's `sort_field`, else the primary key.
    public var sortField: String? { meta?["sort_field"]?.stringValue }
    public var columns: [FieldSchema] { fields.filter(\.hasColumn) }

    /// Text columns that hold JSON (Directus's `cast-json` special).
    static let castJSON: Set<String> = ["directus_files.tags"]
    /// Text columns that hold comma-separated lists (Directus's `cast-csv` special).
    static let castCSV: Set<String> = ["directus_permissions.fields", "directus_policies.ip_access"]
    /// Directus's `special` flags of system columns: secrets (stored hashed or as given, read back as
    /// `**********`) and the values Depot fills on writes (who and when).
    static let systemSpecials: [String: [String]] = [
        "directus_users.password": ["hash", "conceal"], "directus_users.token": ["conceal"], "directus_users.tfa_secret": ["conceal"],
        "directus_shares.password": ["hash", "conceal"], "directus_shares.user_created": ["user-created"],
        "directus_shares.date_created": ["date-created"], "directus_notifications.timestamp": ["date-created"],
        "directus_comments.user_created": ["user-created"], "directus_comments.date_created": ["date-created"],
        "directus_comments.user_updated": ["user-updated"], "directus_comments.date_updated": ["date-updated"],
        "directus_dashboards.user_created": ["user-created"], "directus_dashboards.date_created": ["date-created"],
        "directus_panels.user_created": ["user-created"], "directus_panels.date_created": ["date-created"],
        "directus_versions.user_created": ["user-created"], "directus_versions.date_created": ["date-created"],
        "directus_versions.user_updated": ["user-updated"], "directus_versions.date_updated": ["date-updated"],
    ]

    /// The schema of a `directus_*` table, from the migration that creates it.
    public static func system(_ table: String) -> CollectionSchema {
        let spec = (SystemTables.collections + [SystemTables.derivatives]).first { $0.name == table }!
        let fields = spec.columns.map { column in
            var field = FieldSchema(name: column.name, type: castJSON.contains("\(table).\(column.name)") ? .json : FieldType(column.type))
            field.nullable = column.nullable && !column.primary
            field.isPrimaryKey = column.primary
            field.autoIncrement = column.type == .increments
            field.unique = spec.unique.contains([column.name])
            field.special = systemSpecials["\(table).\(column.name)"] ?? []
            if column.primary, column.type == .uuid { field.special.append("uuid") }
            if castCSV.contains("\(table).\(column.name)") { field.type = .csv }
            if case .string(let length) = column.type { field.maxLength = length }
            return field
        }
        return CollectionSchema(name: table, fields: fields, primaryKey: spec.columns.first { $0.primary }?.name ?? "id")
    }

    /// The foreign keys the system tables declare, as m2o relations.
    static func systemRelations() -> [RelationSchema] {
        SystemTables.collections.flatMap { spec in
            spec.columns.compactMap { column in
                column.references.map { RelationSchema(collection: spec.name, field: column.name, relatedCollection: $0.table,
                                                      onDelete: $0.onDelete) }
            }
        }
    }
}

private extension FieldType {
    init(_ type: ColumnType) {
        switch type {
        case .increments, .integer: self = .integer
        case .bigInteger: self = .bigInteger
        case .uuid: self = .uuid
        case .string: self = .string
        case .text: self = .text
        case .float: self = .float
        case .boolean: self = .boolean
        case .timestamp: self = .timestamp
        case .json: self = .json
        }
    }
}
