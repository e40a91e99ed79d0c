import Database

/// What the query path needs to know about one field.
public struct FieldSchema: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case uuid, string, text, integer, bigInteger, float, boolean, timestamp, json
    }
    public let name: String
    public let kind: Kind
    public let nullable: Bool
}

/// A collection's fields and primary key: identifiers in a query are checked against this, never pasted.
public struct CollectionSchema: Sendable {
    public let name: String
    public let fields: [FieldSchema]
    public let primaryKey: String

    public init(name: String, fields: [FieldSchema], primaryKey: String) {
        self.name = name
        self.fields = fields
        self.primaryKey = primaryKey
    }

    public func field(_ name: String) -> FieldSchema? { fields.first { $0.name == name } }

    /// Text columns that hold JSON (Directus's `cast-json` special).
    static let castJSON: Set<String> = ["directus_files.tags"]

    /// The schema of a `directus_*` table, from the migration that creates it.
    public static func system(_ table: String) -> CollectionSchema {
        let spec = SystemTables.all.first { $0.name == table }!
        let fields = spec.columns.map { column in
            let kind = castJSON.contains("\(table).\(column.name)") ? .json : Kind(column.type)
            return FieldSchema(name: column.name, kind: kind, nullable: column.nullable)
        }
        return CollectionSchema(name: table, fields: fields, primaryKey: spec.columns.first { $0.primary }?.name ?? "id")
    }
}

private typealias Kind = FieldSchema.Kind

private extension FieldSchema.Kind {
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
