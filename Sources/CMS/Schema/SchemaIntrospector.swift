import Database

/// Builds a `SchemaSnapshot`: tables and foreign keys from the catalog (database-first), enriched by the rows of
/// `directus_collections`, `directus_fields` and `directus_relations`. System tables keep their declared types
/// for the columns the database has.
struct SchemaIntrospector {
    let connection: any DatabaseConnection

    func snapshot() throws -> SchemaSnapshot {
        let catalog = try DatabaseCatalog.read(connection)
        var collections: [String: CollectionSchema] = [:]
        let systemNames = Set(SystemTables.collections.map(\.name))
        for name in systemNames {
            // Read from the columns that exist: a column a later Directus adds is read as the database types it,
            // one it dropped is never selected.
            guard let columns = catalog.tables[name] else { continue }
            let declared = CollectionSchema.system(name)
            collections[name] = CollectionSchema(name: name, fields: columns.map { declared.field($0.name) ?? Self.field($0) },
                                                 primaryKey: declared.primaryKey)
        }
        for (table, columns) in catalog.tables where !systemNames.contains(table) && !Self.internalTables.contains(table) {
            let fields = columns.map(Self.field)
            let key = fields.first(where: \.isPrimaryKey)?.name ?? fields.first?.name ?? "id"
            collections[table] = CollectionSchema(name: table, fields: fields, primaryKey: key)
        }

        let collectionsTable = CollectionSchema.system("directus_collections"), fieldsTable = CollectionSchema.system("directus_fields")
        for row in try connection.query("SELECT * FROM directus_collections") {
            guard let name = row["collection"].string else { continue }
            let meta = MetadataRow.json(row, schema: collectionsTable)
            if collections[name] == nil {
                var folder = CollectionSchema(name: name, fields: [], primaryKey: "")
                folder.hasTable = false
                collections[name] = folder
            }
            collections[name]!.meta = meta
        }
        for row in try connection.query("SELECT * FROM directus_fields ORDER BY sort, id") {
            guard let name = row["collection"].string, let fieldName = row["field"].string, collections[name] != nil else { continue }
            let meta = MetadataRow.json(row, schema: fieldsTable)
            let special = row["special"].string.map { $0.split(separator: ",").map(String.init) } ?? []
            if let index = collections[name]!.fields.firstIndex(where: { $0.name == fieldName }) {
                collections[name]!.fields[index].meta = meta
                collections[name]!.fields[index].special = special
                if special.contains("cast-json"), [.text, .string].contains(collections[name]!.fields[index].type) {
                    collections[name]!.fields[index].type = .json
                }
                if special.contains("cast-csv") { collections[name]!.fields[index].type = .csv }
                // Directus's mark of a `timestamp` field on SQLite, whose column knex declares `datetime`.
                if special.contains("cast-timestamp"), collections[name]!.fields[index].type == .dateTime {
                    collections[name]!.fields[index].type = .timestamp
                }
                if special.contains("hash") { collections[name]!.fields[index].type = .hash }
            } else {
                var alias = FieldSchema(name: fieldName, type: .alias)
                alias.meta = meta
                alias.special = special
                collections[name]!.fields.append(alias)
            }
        }

        var relations = CollectionSchema.systemRelations()
        for fk in catalog.foreignKeys where !systemNames.contains(fk.table) {
            var relation = RelationSchema(collection: fk.table, field: fk.column, relatedCollection: fk.foreignTable, onDelete: fk.onDelete)
            relation.constraintName = fk.constraintName
            relations.append(relation)
        }
        for row in try connection.query("SELECT * FROM directus_relations ORDER BY id") {
            guard let many = row["many_collection"].string, let field = row["many_field"].string else { continue }
            var relation = relations.first { $0.collection == many && $0.field == field }
                ?? RelationSchema(collection: many, field: field, relatedCollection: row["one_collection"].string)
            relations.removeAll { $0.collection == many && $0.field == field }
            relation.relatedCollection = row["one_collection"].string ?? relation.relatedCollection
            relation.oneField = row["one_field"].string
            relation.junctionField = row["junction_field"].string
            relation.sortField = row["sort_field"].string
            relation.oneDeselectAction = row["one_deselect_action"].string ?? "nullify"
            relation.metaID = row["id"].int
            relations.append(relation)
        }
        // A relation naming a collection that no longer exists is left out rather than failing every query.
        relations.removeAll { collections[$0.collection] == nil || $0.relatedCollection.map { collections[$0] == nil } == true }
        return SchemaSnapshot(collections: collections, relations: relations)
    }

    /// A field known only from its column.
    static func field(_ column: DatabaseCatalog.Column) -> FieldSchema {
        var field = FieldSchema(name: column.name, type: FieldType.introspected(column.dataType))
        field.dataType = column.dataType
        field.nullable = column.nullable
        field.maxLength = column.maxLength
        field.precision = column.precision
        field.scale = column.scale
        field.isPrimaryKey = column.primaryKey
        field.autoIncrement = column.autoIncrement
        field.unique = column.unique || column.primaryKey
        field.defaultValue = DatabaseCatalog.defaultValue(column.defaultSQL, type: field.type)
        return field
    }

    /// Tables Depot keeps for itself that are not collections.
    static let internalTables: Set<String> = Set([SystemTables.migrationRecord] + SystemTables.depot.map(\.name))
}

/// Reads a metadata row into JSON, by the system table's declared field types.
enum MetadataRow {
    static func json(_ row: Row, schema: CollectionSchema) -> JSONValue {
        .object(schema.fields.map { field in
            if field.name == "special" { return ("special", row["special"].string.map { .array($0.split(separator: ",").map { .string(String($0)) }) } ?? .null) }
            return (field.name, FieldValues.json(row[field.name], field))
        })
    }
}
