/// Turns URL query parameters (`fields`, `filter`, `sort`, `limit`, `offset`, `page`, `meta`) into a `Query`
/// checked against `schema`: an unknown field or operator is INVALID_QUERY.
public enum QueryParser {
    public static func parse(_ parameters: [String: String], schema: CollectionSchema, defaultLimit: Int = 100) throws(CMSError) -> Query {
        var query = Query()
        query.limit = defaultLimit
        if let fields = parameters["fields"] {
            query.fields = fields.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for field in query.fields where field != "*" { try known(field, schema) }
        }
        if let filter = parameters["filter"], !filter.isEmpty {
            let json: JSONValue
            do { json = try JSONValue.parse(Array(filter.utf8)) } catch { throw CMSError.invalidQuery("\"filter\" is not valid JSON") }
            query.filter = try parseFilter(json, schema)
        }
        if let sort = parameters["sort"] {
            query.sort = try sort.split(separator: ",").map { raw throws(CMSError) in
                let item = raw.trimmingCharacters(in: .whitespaces)
                let descending = item.hasPrefix("-")
                let field = descending ? String(item.dropFirst()) : item
                try known(field, schema)
                return SortKey(field: field, descending: descending)
            }
        }
        if let limit = parameters["limit"] {
            guard let value = Int(limit), value >= -1 else { throw CMSError.invalidQuery("\"limit\" must be a whole number, -1 for all") }
            query.limit = value == -1 ? nil : value
        }
        if let offset = parameters["offset"] {
            guard let value = Int(offset), value >= 0 else { throw CMSError.invalidQuery("\"offset\" must be a whole number") }
            query.offset = value
        }
        if let page = parameters["page"] {
            guard let value = Int(page), value >= 1 else { throw CMSError.invalidQuery("\"page\" must be 1 or more") }
            query.offset = (value - 1) * (query.limit ?? 0)
        }
        if let meta = parameters["meta"] {
            for item in meta.split(separator: ",") {
                let name = item.trimmingCharacters(in: .whitespaces)
                guard ["*", "total_count", "filter_count"].contains(name) else { throw CMSError.invalidQuery("Unknown meta \"\(name)\"") }
                query.meta.formUnion(name == "*" ? ["total_count", "filter_count"] : [name])
            }
        }
        return query
    }

    static func parseFilter(_ json: JSONValue, _ schema: CollectionSchema) throws(CMSError) -> Filter {
        guard case .object(let object, let keys) = json else { throw CMSError.invalidQuery("\"filter\" must be an object") }
        var parts: [Filter] = []
        for key in keys {
            let value = object[key]!
            switch key {
            case "_and", "_or":
                guard case .array(let items) = value else { throw CMSError.invalidQuery("\"\(key)\" needs an array") }
                var children: [Filter] = []
                for item in items { children.append(try parseFilter(item, schema)) }
                parts.append(key == "_and" ? .and(children) : .or(children))
            default:
                try known(key, schema)
                guard case .object(let ops, let opKeys) = value else {
                    throw CMSError.invalidQuery("Filter on \"\(key)\" needs an operator such as {\"_eq\": …}")
                }
                for opKey in opKeys {
                    guard let op = FilterOperator(rawValue: opKey) else { throw CMSError.invalidQuery("Unknown filter operator \"\(opKey)\"") }
                    parts.append(.condition(field: key, op: op, value: ops[opKey]!))
                }
            }
        }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    static func known(_ field: String, _ schema: CollectionSchema) throws(CMSError) {
        guard schema.field(field) != nil else {
            throw CMSError.invalidQuery("Field \"\(field)\" does not exist in collection \"\(schema.name)\"")
        }
    }
}
