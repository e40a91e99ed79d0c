import Database

extension ItemsService {
    /// `POST /utils/sort/:collection`: Directus's manual sort. Moves `item` to where `to` is in the collection's
    /// `sort_field` and shifts the items between them by one. Rows without a sort value are numbered after the
    /// others first, and a collection with repeated values is renumbered 1…n, as Directus does. Needs update
    /// rights on the collection that include the sort field (Directus checks no item rule here either).
    public func sort(_ collection: String, item: JSONValue, to target: JSONValue, accountability: Accountability) async throws {
        guard let schema = try await schemas.snapshot().collection(collection), schema.hasTable else { throw CMSError.forbidden }
        guard let sortField = schema.sortField, let field = schema.field(sortField), field.hasColumn else {
            throw CMSError.invalidPayload("Collection \"\(collection)\" doesn't have a sort field")
        }
        guard [.integer, .bigInteger].contains(field.type) else {
            throw CMSError.invalidPayload("The sort field \"\(sortField)\" of collection \"\(collection)\" is not an integer field")
        }
        if let rules = try await access(accountability, ["update"]).rules("update", on: collection), !rules.allows(sortField) {
            throw CMSError.forbidden
        }
        guard let itemKey = CollectionStore.keyText(item), let targetKey = CollectionStore.keyText(target),
              let primary = schema.field(schema.primaryKey) else {
            throw CMSError.invalidPayload("\"item\" and \"to\" must be primary keys")
        }
        guard let itemBind = try? FieldValues.database(.string(itemKey), primary),
              let targetBind = try? FieldValues.database(.string(targetKey), primary) else { throw CMSError.forbidden }
        try await database.transaction { connection in
            let d = connection.dialect
            let table = d.quote(collection), sort = d.quote(sortField), pk = d.quote(schema.primaryKey)
            let unsorted = try connection.query("SELECT \(pk) AS k FROM \(table) WHERE \(sort) IS NULL ORDER BY \(pk)")
            if !unsorted.isEmpty {
                var last = Int64(try connection.query("SELECT MAX(\(sort)) AS m FROM \(table)").first?["m"].int ?? 0)
                for row in unsorted {
                    last += 1
                    try connection.execute("UPDATE \(table) SET \(sort) = ? WHERE \(pk) = ?", [.integer(last), row["k"]])
                }
            }
            if try !connection.query("SELECT \(sort) FROM \(table) GROUP BY \(sort) HAVING COUNT(*) > 1 LIMIT 1").isEmpty {
                for (index, row) in try connection.query("SELECT \(pk) AS k FROM \(table) ORDER BY \(sort), \(pk)").enumerated() {
                    try connection.execute("UPDATE \(table) SET \(sort) = ? WHERE \(pk) = ?", [.integer(Int64(index + 1)), row["k"]])
                }
            }
            func position(_ key: DatabaseValue) throws -> Int64 {
                guard let value = try connection.query("SELECT \(sort) AS s FROM \(table) WHERE \(pk) = ?", [key]).first?["s"].int else {
                    throw CMSError.forbidden
                }
                return Int64(value)
            }
            let source = try position(itemBind), destination = try position(targetBind)
            try connection.execute("UPDATE \(table) SET \(sort) = ? WHERE \(pk) = ?", [.integer(destination), itemBind])
            if source < destination {
                try connection.execute("UPDATE \(table) SET \(sort) = \(sort) - 1 WHERE \(sort) > ? AND \(sort) <= ? AND \(pk) <> ?",
                                       [.integer(source), .integer(destination), itemBind])
            } else {
                try connection.execute("UPDATE \(table) SET \(sort) = \(sort) + 1 WHERE \(sort) >= ? AND \(sort) <= ? AND \(pk) <> ?",
                                       [.integer(destination), .integer(source), itemBind])
            }
        }
    }
}
