/// The JSON shapes of `/collections`, `/fields` and `/relations`.
enum SchemaJSON {
    static func collection(_ c: CollectionSchema) -> JSONValue {
        .object([("collection", .string(c.name)), ("meta", c.meta ?? .null),
                 ("schema", c.hasTable ? .object([("name", .string(c.name))]) : .null)])
    }

    static func field(_ f: FieldSchema, collection: CollectionSchema) -> JSONValue {
        let schema: JSONValue = f.hasColumn ? .object([
            ("name", .string(f.name)), ("table", .string(collection.name)), ("data_type", f.dataType.map(JSONValue.string) ?? .null),
            ("default_value", f.defaultValue), ("max_length", f.maxLength.map { .int(Int64($0)) } ?? .null),
            ("numeric_precision", f.precision.map { .int(Int64($0)) } ?? .null), ("numeric_scale", f.scale.map { .int(Int64($0)) } ?? .null),
            ("is_nullable", .bool(f.nullable)), ("is_unique", .bool(f.unique)), ("is_primary_key", .bool(f.isPrimaryKey)),
            ("has_auto_increment", .bool(f.autoIncrement)),
        ]) : .null
        return .object([("collection", .string(collection.name)), ("field", .string(f.name)), ("type", .string(f.type.rawValue)),
                        ("meta", f.meta ?? .null), ("schema", schema)])
    }

    static func relation(_ r: RelationSchema) -> JSONValue {
        let schema: JSONValue = r.onDelete.map { onDelete in
            .object([("table", .string(r.collection)), ("column", .string(r.field)), ("foreign_key_table", r.relatedCollection.map(JSONValue.string) ?? .null),
                     ("constraint_name", r.constraintName.map(JSONValue.string) ?? .null), ("on_delete", .string(onDelete))])
        } ?? .null
        let meta: JSONValue = r.metaID.map { id in
            .object([("id", .int(Int64(id))), ("many_collection", .string(r.collection)), ("many_field", .string(r.field)),
                     ("one_collection", r.relatedCollection.map(JSONValue.string) ?? .null), ("one_field", r.oneField.map(JSONValue.string) ?? .null),
                     ("junction_field", r.junctionField.map(JSONValue.string) ?? .null), ("sort_field", r.sortField.map(JSONValue.string) ?? .null),
                     ("one_deselect_action", .string(r.oneDeselectAction))])
        } ?? .null
        return .object([("collection", .string(r.collection)), ("field", .string(r.field)),
                        ("related_collection", r.relatedCollection.map(JSONValue.string) ?? .null), ("schema", schema), ("meta", meta)])
    }
}
