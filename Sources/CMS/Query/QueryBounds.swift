/// The size checks of a query's parameters, made before anything is compiled: how deep its JSON nests, how many
/// siblings a filter has, how long a pattern and a field path are. A query past them is an `INVALID_QUERY`, never
/// a database error (SQLite refuses expression trees over 1,000 deep and LIKE patterns over 50 KB) or a trap.
struct QueryBounds {
    let limits: QueryParser.Limits

    /// Values of one `_in`-style list (`QUERY_FILTER_MAX_SIBLINGS` bounds conditions, not values).
    static let maxListValues = 10_000

    /// The largest offset a query may ask for: far past any table, and `offset + limit` still fits in 64 bits.
    static let maxOffset = Int(Int32.max) * 1_000

    init(_ limits: QueryParser.Limits) {
        self.limits = limits
    }

    /// Field paths (`author.name`), each of at most `MAX_RELATIONAL_DEPTH` parts.
    func paths(_ paths: [String], _ name: String) throws(CMSError) -> [String] {
        guard paths.count <= limits.arrayLimit else { throw CMSError.invalidQuery("\"\(name)\" has more than \(limits.arrayLimit) entries") }
        for path in paths {
            _ = try pattern(path, name)
            guard path.split(separator: ".").count <= limits.maxRelationalDepth else {
                throw CMSError.invalidQuery("\"\(name)\" goes deeper than \(limits.maxRelationalDepth) relations")
            }
        }
        return paths
    }

    /// `search` and text operands: at most `QUERY_MAX_PATTERN_LENGTH` characters.
    func pattern(_ text: String, _ name: String) throws(CMSError) -> String {
        guard text.count <= limits.maxPatternLength else {
            throw CMSError.invalidQuery("\"\(name)\" is longer than \(limits.maxPatternLength) characters")
        }
        return text
    }

    /// A JSON parameter (`filter`, `deep`) within the depth, sibling and text bounds.
    func json(_ value: JSONValue, _ name: String) throws(CMSError) -> JSONValue {
        try check(value, name, depth: 1, nesting: 0)
        return value
    }

    /// Walks `value`: objects nest at most `MAX_JSON_QUERY_DEPTH` deep (an array between them does not count,
    /// but arrays can't nest without end either), no object or array of conditions has more than
    /// `QUERY_FILTER_MAX_SIBLINGS` entries, a list of values no more than `maxListValues`, and no text is longer
    /// than a pattern may be.
    private func check(_ value: JSONValue, _ name: String, depth: Int, nesting: Int) throws(CMSError) {
        guard nesting <= 2 * limits.maxJSONDepth + 2 else { throw CMSError.invalidQuery("\"\(name)\" is nested too deeply") }
        switch value {
        case .object(let dict, let keys):
            guard depth <= limits.maxJSONDepth else { throw CMSError.invalidQuery("\"\(name)\" is nested more than \(limits.maxJSONDepth) deep") }
            guard keys.count <= limits.maxFilterSiblings else {
                throw CMSError.invalidQuery("\"\(name)\" has more than \(limits.maxFilterSiblings) conditions side by side")
            }
            for key in keys {
                _ = try pattern(key, name)
                try check(dict[key]!, name, depth: depth + 1, nesting: nesting + 1)
            }
        case .array(let items):
            let values = items.allSatisfy { if case .object = $0 { false } else if case .array = $0 { false } else { true } }
            let most = values ? Self.maxListValues : limits.maxFilterSiblings
            guard items.count <= most else {
                throw CMSError.invalidQuery("\"\(name)\" has a list of more than \(most) entries")
            }
            for item in items { try check(item, name, depth: depth, nesting: nesting + 1) }
        case .string(let text):
            _ = try pattern(text, name)
        default:
            break
        }
    }
}
