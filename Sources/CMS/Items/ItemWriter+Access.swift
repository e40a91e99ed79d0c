import Database

/// The caller's rules on writes: which collections and fields, which items (the item filter), default values
/// (`presets`) and what a written item must satisfy (`validation`). Checked inside the write's transaction, so
/// a refusal leaves nothing written.
extension ItemWriter {
    /// The payload with the rules' presets filled in where it gives no value.
    func withPresets(_ rules: CollectionAccess?, _ object: [String: JSONValue], _ keys: [String]) -> ([String: JSONValue], [String]) {
        guard let rules else { return (object, keys) }
        var object = object, keys = keys
        for (key, value) in rules.presets where object[key] == nil {
            object[key] = value
            keys.append(key)
        }
        return (object, keys)
    }

    /// FORBIDDEN unless the item `key` is one the rules reach.
    func checkReach(_ rules: CollectionAccess?, _ collection: CollectionSchema, _ key: String) throws {
        guard let filter = rules?.itemFilter else { return }
        guard try matches(collection, key, filter) else { throw CMSError.forbidden }
    }

    /// 400 FAILED_VALIDATION, naming the first field whose condition the item as written fails.
    func validate(_ rules: CollectionAccess?, _ collection: CollectionSchema, _ key: String) throws {
        guard let validation = rules?.validation, try !matches(collection, key, validation) else { return }
        let (field, type) = try failing(validation, collection, key) ?? (Self.firstField(validation) ?? collection.primaryKey, nil)
        throw CMSError.failedValidation(field: field, type: type)
    }

    /// Whether the stored item `key` matches `filter`.
    private func matches(_ collection: CollectionSchema, _ key: String, _ filter: JSONValue) throws -> Bool {
        var query = Query()
        query.fields = [collection.primaryKey]
        query.filter = .object([("_and", .array([.object([(collection.primaryKey, .object([("_eq", .string(key))]))]), filter]))])
        query.limit = 1
        let plan = try QueryCompiler(snapshot: snapshot, childLimit: nil).compile(query, collection: collection)
        return try !QueryRunner(connection: connection).items(plan).isEmpty
    }

    /// The first `field` (and its operator, without `_`) whose own condition fails, looking through `_and`.
    private func failing(_ filter: JSONValue, _ collection: CollectionSchema, _ key: String) throws -> (String, String?)? {
        guard case .object(let object, let keys) = filter else { return nil }
        for name in keys {
            let value = object[name]!
            if name == "_and", case .array(let parts) = value {
                for part in parts { if let found = try failing(part, collection, key) { return found } }
            } else if name == "_or" {
                if try !matches(collection, key, .object([(name, value)])) { return Self.firstField(value).map { ($0, nil) } }
            } else if try !matches(collection, key, .object([(name, value)])) {
                let op: String? = if case .object(_, let ops) = value { ops.first.map { String($0.dropFirst()) } } else { "eq" }
                return (name, op)
            }
        }
        return nil
    }

    private static func firstField(_ filter: JSONValue) -> String? {
        switch filter {
        case .object(let object, let keys):
            for key in keys { if !key.hasPrefix("_") { return key } else if let found = firstField(object[key]!) { return found } }
            return nil
        case .array(let items): return items.lazy.compactMap(firstField).first
        default: return nil
        }
    }
}
