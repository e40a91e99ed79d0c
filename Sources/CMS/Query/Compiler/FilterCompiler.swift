import Database
import Foundation

/// Compiles a filter (JSON form, dynamic values already resolved) into a SQL condition, checking every field
/// against the schema: many-to-one paths become joins, one-to-many conditions `EXISTS` subqueries.
struct FilterCompiler {
    static let maxDepth = 10

    static let operators: Set<String> = [
        "_eq", "_neq", "_lt", "_lte", "_gt", "_gte", "_in", "_nin", "_null", "_nnull", "_contains", "_ncontains",
        "_icontains", "_nicontains", "_starts_with", "_nstarts_with", "_istarts_with", "_nistarts_with", "_ends_with",
        "_nends_with", "_iends_with", "_niends_with", "_between", "_nbetween", "_empty", "_nempty", "_ieq", "_nieq",
    ]

    static func compile(_ filter: JSONValue, alias: String, collection: CollectionSchema, scope: inout SelectScope,
                        depth: Int = 0) throws(CMSError) -> SQLExpression {
        guard depth <= maxDepth else { throw CMSError.invalidQuery("The filter is nested too deeply") }
        guard case .object(let object, let keys) = filter else { throw CMSError.invalidQuery("A filter must be an object") }
        var parts: [SQLExpression] = []
        for key in keys {
            let value = object[key]!
            switch key {
            case "_and", "_or":
                let items: [JSONValue]
                switch value {
                case .array(let array): items = array
                // Bracket form `filter[_or][0][…]` arrives as an object keyed by index.
                case .object(let dict, let keys) where keys.allSatisfy({ Int($0) != nil }): items = keys.sorted { Int($0)! < Int($1)! }.map { dict[$0]! }
                default: throw CMSError.invalidQuery("\"\(key)\" needs an array")
                }
                var children: [SQLExpression] = []
                for item in items { children.append(try compile(item, alias: alias, collection: collection, scope: &scope, depth: depth + 1)) }
                parts.append(key == "_and" ? .and(children) : .or(children))
            default:
                parts.append(try field(key, value, alias: alias, collection: collection, scope: &scope, depth: depth))
            }
        }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    private static func field(_ key: String, _ value: JSONValue, alias: String, collection: CollectionSchema,
                              scope: inout SelectScope, depth: Int) throws(CMSError) -> SQLExpression {
        if let function = try FunctionField.parse(key, collection: collection, snapshot: scope.snapshot) {
            try scope.check(function.field, of: collection)
            let target = try scope.gated(try function.expression(alias: alias, scope: &scope), function.field, alias: alias, collection)
            return try operators(value, target: target, field: function.resultField)
        }
        guard let field = collection.field(key) else {
            if scope.access != nil, !scope.privileged { throw CMSError.forbiddenField(key, collection.name) }
            throw unknownField(key, collection)
        }
        try scope.check(key, of: collection)
        if let relation = scope.snapshot.m2o(collection.name, key), case .object(_, let keys) = value,
           keys.contains(where: { !operators.contains($0) }) {
            let (target, related) = try scope.join(from: alias, relation)
            return try compile(value, alias: target, collection: related, scope: &scope, depth: depth + 1)
        }
        if let relation = scope.snapshot.o2m(collection.name, key) {
            guard case .object(let inner, let keys) = value else { throw CMSError.invalidQuery("Filter on \"\(key)\" needs an object") }
            let negate = keys == ["_none"]
            let condition = keys == ["_some"] || negate ? inner[keys[0]]! : value
            return try exists(relation, condition, parentAlias: alias, parent: collection, scope: &scope, depth: depth, negate: negate)
        }
        // A hashed or concealed value must not be guessable one prefix at a time.
        guard field.hasColumn, !field.has("hash"), !field.has("conceal") else {
            throw CMSError.invalidQuery("Field \"\(key)\" can't be filtered on")
        }
        // A field shown only on some items can't be matched on the others either.
        return try operators(value, target: try scope.gated(.column(table: alias, name: key), key, alias: alias, collection), field: field)
    }

    /// `EXISTS (SELECT 1 FROM child WHERE child.fk = parent.pk AND …)`; `_none` is its negation.
    private static func exists(_ relation: RelationSchema, _ condition: JSONValue, parentAlias: String, parent: CollectionSchema,
                               scope: inout SelectScope, depth: Int, negate: Bool) throws(CMSError) -> SQLExpression {
        guard let child = scope.snapshot.collection(relation.collection) else { throw CMSError.invalidQuery("Unknown relation") }
        var inner = scope.nested(child)
        let link = SQLExpression.compare(.column(table: inner.rootAlias, name: relation.field), .eq, .column(table: parentAlias, name: parent.primaryKey))
        // Only children the caller can read count.
        let restriction = try inner.restriction(alias: inner.rootAlias, child)
        let body = try compile(condition, alias: inner.rootAlias, collection: child, scope: &inner, depth: depth + 1)
        inner.select.filter = .and([link] + (restriction.map { [$0] } ?? []) + [body])
        return negate ? .not(.exists(inner.select)) : .exists(inner.select)
    }

    /// `{"_eq": 1, "_lt": 5}` on one target; a bare value means `_eq`.
    static func operators(_ value: JSONValue, target: SQLExpression, field: FieldSchema) throws(CMSError) -> SQLExpression {
        guard case .object(let ops, let keys) = value else { return try condition("_eq", value, target, field) }
        var parts: [SQLExpression] = []
        for key in keys { parts.append(try condition(key, ops[key]!, target, field)) }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    private static func condition(_ op: String, _ raw: JSONValue, _ target: SQLExpression, _ field: FieldSchema) throws(CMSError) -> SQLExpression {
        // A JSON document has no order or equality both databases agree on: only its presence can be asked, as in Directus.
        if field.type == .json, op != "_null", op != "_nnull" {
            throw CMSError.invalidQuery("\"json\" field type does not contain the \"\(op)\" filter operator")
        }
        let value = normalise(raw)
        func bind(_ v: JSONValue) throws(CMSError) -> SQLExpression { .bind(try FieldValues.database(v, field, inFilter: true)) }
        func flag() -> Bool { value.boolValue ?? (value.isNull ? true : value.stringValue != "false") }
        func list() throws(CMSError) -> [SQLExpression] {
            let items: [JSONValue]
            switch value {
            case .array(let array): items = array
            case .string(let text): items = text.split(separator: ",").map { .string(String($0)) }
            case .object(let dict, let keys): items = keys.map { dict[$0]! }
            default: items = [value]
            }
            var out: [SQLExpression] = []
            for item in items { out.append(try bind(normalise(item))) }
            return out
        }
        func like(_ match: SQLMatch, negated: Bool, insensitive: Bool) throws(CMSError) -> SQLExpression {
            guard let text = QueryParser.scalarText(value) ?? value.boolValue.map({ String($0) }) else {
                throw CMSError.invalidQuery("\"\(op)\" on \"\(field.name)\" needs a text value")
            }
            let subject: SQLExpression = [.string, .text, .hash, .csv].contains(field.type) ? target : .text(target)
            return .like(subject, needle: text, match: match, insensitive: insensitive, negated: negated)
        }
        switch op {
        case "_eq": return value.isNull ? .isNull(target, negated: false) : .compare(target, .eq, try bind(value))
        case "_neq": return value.isNull ? .isNull(target, negated: true) : .or([.compare(target, .neq, try bind(value)), .isNull(target, negated: false)])
        case "_ieq", "_nieq":
            guard let text = QueryParser.scalarText(value) else { throw CMSError.invalidQuery("\"\(op)\" needs a text value") }
            let equal = SQLExpression.compare(.lower(.text(target)), .eq, .bind(.text(text.lowercased())))
            return op == "_ieq" ? equal : .not(equal)
        case "_lt": return .compare(target, .lt, try bind(value))
        case "_lte": return .compare(target, .lte, try bind(value))
        case "_gt": return .compare(target, .gt, try bind(value))
        case "_gte": return .compare(target, .gte, try bind(value))
        case "_in", "_nin":
            let items = try list()
            if items.isEmpty { return op == "_in" ? .alwaysFalse : .alwaysTrue }
            return .inList(target, items, negated: op == "_nin")
        case "_between", "_nbetween":
            let items = try list()
            guard items.count == 2 else { throw CMSError.invalidQuery("\"\(op)\" needs two values") }
            return .between(target, items[0], items[1], negated: op == "_nbetween")
        case "_null": return .isNull(target, negated: !flag())
        case "_nnull": return .isNull(target, negated: flag())
        case "_empty", "_nempty":
            let empty: SQLExpression = [.string, .text, .csv, .hash].contains(field.type)
                ? .or([.isNull(target, negated: false), .compare(target, .eq, .bind(.text("")))]) : .isNull(target, negated: false)
            return (op == "_empty") == flag() ? empty : .not(empty)
        case "_contains": return try like(.contains, negated: false, insensitive: false)
        case "_ncontains": return try like(.contains, negated: true, insensitive: false)
        case "_icontains": return try like(.contains, negated: false, insensitive: true)
        case "_nicontains": return try like(.contains, negated: true, insensitive: true)
        case "_starts_with": return try like(.prefix, negated: false, insensitive: false)
        case "_nstarts_with": return try like(.prefix, negated: true, insensitive: false)
        case "_istarts_with": return try like(.prefix, negated: false, insensitive: true)
        case "_nistarts_with": return try like(.prefix, negated: true, insensitive: true)
        case "_ends_with": return try like(.suffix, negated: false, insensitive: false)
        case "_nends_with": return try like(.suffix, negated: true, insensitive: false)
        case "_iends_with": return try like(.suffix, negated: false, insensitive: true)
        case "_niends_with": return try like(.suffix, negated: true, insensitive: true)
        default: throw CMSError.invalidQuery("Unknown filter operator \"\(op)\"")
        }
    }

    /// URL values are text: `"null"` is null and `"true"`/`"false"` are booleans, as in Directus's parser.
    private static func normalise(_ value: JSONValue) -> JSONValue {
        switch value.stringValue {
        case "null", "NULL": .null
        case "true": .bool(true)
        case "false": .bool(false)
        default: value
        }
    }

    static func unknownField(_ name: String, _ collection: CollectionSchema) -> CMSError {
        CMSError.invalidQuery("Field \"\(name)\" does not exist in collection \"\(collection.name)\"")
    }
}
