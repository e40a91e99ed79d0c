import Foundation

/// Reads Directus's query parameters — from a URL (bracket form `filter[status][_eq]=x` or JSON strings) or from a
/// `SEARCH` body's `query` object — into a `Query`. Only the syntax is checked here.
public enum QueryParser {
    /// What one read may ask for. Every number of a query is checked against these before any arithmetic or SQL.
    public struct Limits: Sendable {
        public var defaultLimit = 100
        /// `QUERY_LIMIT_MAX`; nil = none.
        public var maxLimit: Int?
        /// `MAX_RELATIONAL_DEPTH`: parts of a field path in `fields`, `sort`, `groupBy` and `aggregate`.
        public var maxRelationalDepth = 10
        /// `QUERYSTRING_MAX_PARSE_DEPTH`: brackets of one URL key (`filter[a][b][_eq]`).
        public var maxParseDepth = 10
        /// `QUERYSTRING_ARRAY_LIMIT`: entries of one bracket-form list.
        public var arrayLimit = 500
        /// `MAX_JSON_QUERY_DEPTH`: objects nested in `filter`, `deep`, `aggregate` or `alias`.
        public var maxJSONDepth = 10
        /// `QUERY_FILTER_MAX_SIBLINGS` (Depot's own): entries of one `_and`/`_or`, and fields of one filter object.
        public var maxFilterSiblings = 500
        /// `QUERY_MAX_PATTERN_LENGTH` (Depot's own): characters of `search` and of a text filter operand.
        public var maxPatternLength = 2_048

        public init(defaultLimit: Int = 100, maxLimit: Int? = nil) {
            self.defaultLimit = defaultLimit
            self.maxLimit = maxLimit
        }
    }

    /// URL query pairs in order, repeated keys included.
    public static func parse(pairs: [(String, String)], limits: Limits = Limits()) throws(CMSError) -> Query {
        try parse(object: BracketQuery.decode(pairs, limits: limits), limits: limits)
    }

    /// A query object (`SEARCH` body `query`, or decoded URL parameters).
    public static func parse(object: JSONValue, limits: Limits = Limits()) throws(CMSError) -> Query {
        guard case .object = object else { throw CMSError.invalidQuery("The query must be an object") }
        var query = Query()
        query.limit = limits.maxLimit.map { min($0, limits.defaultLimit) } ?? limits.defaultLimit
        let bounds = QueryBounds(limits)
        if let fields = object["fields"] { query.fields = try bounds.paths(try list(fields, "fields"), "fields") }
        if let filter = object["filter"] { query.filter = try bounds.json(try jsonParameter(filter, "filter"), "filter") }
        // Directus ignores a `search` that is not a string (a number in a SEARCH body, `search[x]=` in a URL).
        if case .string(let text)? = object["search"] {
            guard !text.contains("\u{0}") else { throw CMSError.invalidQuery("\"search\" can't hold a NUL character") }
            query.search = try bounds.pattern(text, "search")
        }
        if let sort = object["sort"] { query.sort = try bounds.paths(try list(sort, "sort"), "sort") }
        if let limit = object["limit"] {
            guard let value = integer(limit), value >= -1 else { throw CMSError.invalidQuery("\"limit\" must be a whole number, -1 for all") }
            if let max = limits.maxLimit, value > max { throw CMSError.invalidQuery("\"limit\" can't be more than \(max)") }
            query.limit = value == -1 ? limits.maxLimit : value
        }
        if let offset = object["offset"] {
            guard let value = integer(offset), (0...QueryBounds.maxOffset).contains(value) else {
                throw CMSError.invalidQuery("\"offset\" must be a whole number from 0 to \(QueryBounds.maxOffset)")
            }
            query.offset = value
        }
        if let page = object["page"] {
            guard let value = integer(page), value >= 1 else { throw CMSError.invalidQuery("\"page\" must be 1 or more") }
            query.page = value
            query.offset = try offset(page: value, limit: query.limit ?? 0, "page")
        }
        if let meta = object["meta"] {
            for name in try list(meta, "meta") {
                guard ["*", "total_count", "filter_count"].contains(name) else { throw CMSError.invalidQuery("Unknown meta \"\(name)\"") }
                query.meta.formUnion(name == "*" ? ["total_count", "filter_count"] : [name])
            }
        }
        if let aggregate = object["aggregate"] {
            guard case .object(let functions, let keys) = try jsonParameter(aggregate, "aggregate") else {
                throw CMSError.invalidQuery("\"aggregate\" must be an object")
            }
            for key in keys { query.aggregate[key] = try bounds.paths(try list(functions[key]!, "aggregate[\(key)]"), "aggregate") }
        }
        if let groupBy = object["groupBy"] { query.groupBy = try bounds.paths(try list(groupBy, "groupBy"), "groupBy") }
        if let deep = object["deep"] {
            let value = try jsonParameter(deep, "deep")
            guard case .object = value else { throw CMSError.invalidQuery("\"deep\" must be an object") }
            query.deep = try bounds.json(value, "deep")
        }
        if let alias = object["alias"] {
            guard case .object(let pairs, let keys) = try jsonParameter(alias, "alias") else { throw CMSError.invalidQuery("\"alias\" must be an object") }
            for key in keys {
                guard let target = pairs[key]!.stringValue, !key.contains("."), !target.contains(".") else {
                    throw CMSError.invalidQuery("\"alias\" maps names without dots to fields")
                }
                query.alias[key] = target
            }
        }
        if let export = object["export"] {
            guard let format = export.stringValue.flatMap(ExportFormat.init(rawValue:)) else {
                throw CMSError.invalidQuery("\"export\" must be json, csv, yaml or xml")
            }
            query.export = format
        }
        return query
    }

    /// The offset of page `page` (from 1) of `limit` rows; a page past what a 64-bit offset can hold is refused.
    static func offset(page: Int, limit: Int, _ name: String) throws(CMSError) -> Int {
        let (offset, overflow) = (page - 1).multipliedReportingOverflow(by: limit)
        guard !overflow, offset <= QueryBounds.maxOffset else { throw CMSError.invalidQuery("\"\(name)\" is too large") }
        return offset
    }

    /// A comma list, an array, or an array of comma lists.
    static func list(_ value: JSONValue, _ name: String) throws(CMSError) -> [String] {
        switch value {
        case .string(let text):
            return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case .array(let items):
            var out: [String] = []
            for item in items { out += try list(item, name) }
            return out
        case .object(let dict, let keys):
            // qs turns `x[0]=a&x[1]=b` into an object keyed by index.
            var out: [String] = []
            for key in keys { out += try list(dict[key]!, name) }
            return out
        default:
            throw CMSError.invalidQuery("\"\(name)\" must be a comma-separated list")
        }
    }

    /// An object given as JSON text or already as an object (bracket form).
    static func jsonParameter(_ value: JSONValue, _ name: String) throws(CMSError) -> JSONValue {
        guard case .string(let text) = value else { return value }
        if text.isEmpty { return .object([]) }
        do { return try JSONValue.parse(Array(text.utf8)) } catch { throw CMSError.invalidQuery("\"\(name)\" is not valid JSON") }
    }

    static func integer(_ value: JSONValue) -> Int? {
        switch value {
        case .int(let i): Int(exactly: i)
        case .string(let s): Int(s)
        default: nil
        }
    }

    /// A scalar as text; nil for anything else, and for text with a NUL character (no database stores it).
    static func scalarText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let s): s.contains("\u{0}") ? nil : s
        case .int(let i): String(i)
        case .double(let d): String(d)
        default: nil
        }
    }
}

/// qs-style decoding of bracketed keys: `filter[a][_eq]=1&fields[]=x` → `{"filter":{"a":{"_eq":"1"}},"fields":["x"]}`.
enum BracketQuery {
    static func decode(_ pairs: [(String, String)], limits: QueryParser.Limits = .init()) throws(CMSError) -> JSONValue {
        var root = JSONValue.object([])
        for (key, value) in pairs {
            var path: [String] = []
            guard let open = key.firstIndex(of: "[") else {
                // A repeated name is a list, as qs reads `sort=a&sort=b` (and as `sort[]=a&sort[]=b`).
                switch root[key] {
                case nil: root = try set(root, [key], .string(value), limit: limits.arrayLimit)
                case .array?: root = try set(root, [key, ""], .string(value), limit: limits.arrayLimit)
                case let first?: root = try set(try set(root, [key], .array([first]), limit: limits.arrayLimit), [key, ""], .string(value), limit: limits.arrayLimit)
                }
                continue
            }
            path.append(String(key[..<open]))
            var rest = key[open...]
            while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                path.append(String(rest[rest.index(after: rest.startIndex)..<close]))
                rest = rest[rest.index(after: close)...]
            }
            guard path.count <= limits.maxParseDepth + 1 else { throw CMSError.invalidQuery("\"\(path[0])\" is nested too deeply") }
            // An index past the array limit (or a list grown past it) would make one parameter arbitrarily large.
            guard path.allSatisfy({ Int($0).map { $0 < limits.arrayLimit } ?? true }) else {
                throw CMSError.invalidQuery("\"\(path[0])\" has more than \(limits.arrayLimit) entries")
            }
            root = try set(root, path[...], .string(value), limit: limits.arrayLimit)
        }
        return root
    }

    /// Sets `value` at `path`; an empty segment (`[]`) appends to an array of at most `limit` entries.
    private static func set(_ node: JSONValue, _ path: ArraySlice<String>, _ value: JSONValue, limit: Int) throws(CMSError) -> JSONValue {
        guard let head = path.first else { return value }
        let rest = path.dropFirst()
        if head.isEmpty {
            var items: [JSONValue] = []
            if case .array(let existing) = node { items = existing }
            guard items.count < limit else { throw CMSError.invalidQuery("A list parameter has more than \(limit) entries") }
            items.append(try set(.null, rest, value, limit: limit))
            return .array(items)
        }
        guard case .object(var dict, var keys) = node else {
            return .object([(head, try set(.null, rest, value, limit: limit))])
        }
        if dict[head] == nil {
            guard keys.count < limit else { throw CMSError.invalidQuery("A parameter has more than \(limit) entries") }
            keys.append(head)
        }
        dict[head] = try set(dict[head] ?? .null, rest, value, limit: limit)
        return .object(dict, keys: keys)
    }
}
