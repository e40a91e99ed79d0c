@testable import CMS
import Database
import Foundation

extension FuzzHarness {
    /// Input: `<collection>?<URL query>` (bracket or JSON-string parameters, as `GET /items/<collection>?…`) or
    /// `<collection>{…}` (a `SEARCH` body's `query` object). An unknown collection name means `articles`; a leading
    /// `!` compiles under a role's read rules instead of as admin.
    /// Invariants: parsing and compiling either throw a CMSError or give a plan whose every SELECT (root, counts,
    /// one-to-many follow-ups), in both dialects, has as many `?` as bound values, and no negative offset.
    @Sendable public static func query(_ bytes: [UInt8]) {
        var text = Substring(String(decoding: bytes, as: UTF8.self))
        let restricted = text.hasPrefix("!")
        if restricted { text = text.dropFirst() }
        let split = text.firstIndex { $0 == "?" || $0 == "{" } ?? text.endIndex
        let collection = QuerySchema.snapshot.collection(String(text[..<split])) ?? QuerySchema.snapshot.collection("articles")!
        let body = text[split...]
        let limits = QueryParser.Limits(defaultLimit: 100, maxLimit: restricted ? 1000 : nil)

        let plan: ReadPlan
        do {
            let query: Query
            if body.hasPrefix("{") {
                query = try QueryParser.parse(object: JSONValue.parse(Array(body.utf8)), limits: limits)
            } else {
                query = try QueryParser.parse(pairs: queryPairs(body.dropFirst()), limits: limits)
            }
            // `$NOW(<adjustment>)` is resolved before compiling (DynamicValues, which needs no database for it).
            for text in strings(in: query.filter) + strings(in: query.deep) where text.hasPrefix("$NOW(") && text.hasSuffix(")") {
                _ = DynamicValues.adjust(Date(timeIntervalSince1970: 1_750_000_000), by: text.dropFirst(5).dropLast().trimmingCharacters(in: .whitespaces))
            }
            if let maxLimit = limits.maxLimit { require(query.limit.map { $0 <= maxLimit } ?? false, "limit above QUERY_LIMIT_MAX") }
            let compiler = QueryCompiler(snapshot: QuerySchema.snapshot, access: restricted ? QuerySchema.access : nil)
            plan = try compiler.compile(query, collection: collection)
        } catch {
            log("refused: \(error.message)")
            return   // CMSError: a refusal, as intended (the throws are typed, nothing else can arrive here)
        }
        for dialect in SQLDialect.allCases {
            checkRendered(plan.select, dialect)
            if let total = plan.totalCount { checkRendered(total, dialect) }
            if let filtered = plan.filterCount { checkRendered(filtered, dialect) }
            checkChildren(plan.outputs, dialect)
        }
    }

    private static func strings(in value: JSONValue?) -> [String] {
        switch value {
        case .string(let text)?: [text]
        case .array(let items)?: items.flatMap { strings(in: $0) }
        case .object(let dict, _)?: dict.values.flatMap { strings(in: $0) }
        default: []
        }
    }

    /// The one-to-many follow-ups, with the link condition the runner adds (`foreign key IN (…)`).
    private static func checkChildren(_ outputs: [OutputNode], _ dialect: SQLDialect) {
        for node in outputs {
            switch node {
            case .value: break
            case .object(_, _, let inner): checkChildren(inner, dialect)
            case .children(_, _, let plan):
                var select = plan.select
                let link = SQLExpression.inList(.column(table: select.alias, name: plan.relation.field),
                                                [.bind(.integer(1)), .bind(.text("2"))], negated: false)
                select.filter = select.filter.map { .and([link, $0]) } ?? link
                checkRendered(select, dialect)
                checkChildren(plan.outputs, dialect)
            }
        }
    }

    private static func checkRendered(_ select: SQLSelect, _ dialect: SQLDialect) {
        require(select.offset >= 0, "negative offset \(select.offset)")
        require(select.limit.map { $0 >= 0 } ?? true, "negative limit \(select.limit!)")
        let (sql, binds) = SQLRenderer.render(select, dialect)
        log("\(dialect): \(sql) \(binds)")
        // No identifier of the fuzz schema and no SQL the renderer writes contains `?` but a placeholder.
        let placeholders = sql.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "?") ? 1 : 0) }
        require(placeholders == binds.count, "\(placeholders) placeholders, \(binds.count) binds in \(dialect): \(sql)")
        require(!sql.contains(" IN ()"), "an empty IN list (a syntax error on PostgreSQL): \(sql)")
        checkBindOrder(select, dialect)
    }

    /// The values must be bound in the order their `?` appear. Every value of the tree gets a marker; rendered once
    /// with the markers bound and once with them written in the text (as identifiers), both orders must agree.
    private static func checkBindOrder(_ select: SQLSelect, _ dialect: SQLDialect) {
        var n = 0
        let (_, binds) = SQLRenderer.render(mark(select, inline: false, &n), dialect)
        n = 0
        let (text, _) = SQLRenderer.render(mark(select, inline: true, &n), dialect)
        let bound = binds.map { if case .text(let marker) = $0 { marker } else { "?" } }
        let written = text.split(separator: "\"", omittingEmptySubsequences: false).map(String.init).filter { $0.hasPrefix("@") && $0.hasSuffix("@") }
        require(bound == written, "values bound in the order \(bound), their placeholders are in the order \(written) in \(dialect): \(text)")
    }

    private static func mark(_ s: SQLSelect, inline: Bool, _ n: inout Int) -> SQLSelect {
        var out = s
        out.columns = []
        for column in s.columns { out.columns.append((mark(column.expression, inline, &n), column.alias)) }
        out.joins = []
        for join in s.joins { out.joins.append(SQLJoin(table: join.table, alias: join.alias, on: mark(join.on, inline, &n))) }
        out.filter = s.filter.map { mark($0, inline, &n) }
        out.groupBy = []
        for e in s.groupBy { out.groupBy.append(mark(e, inline, &n)) }
        out.orderBy = []
        for order in s.orderBy { out.orderBy.append(SQLOrder(expression: mark(order.expression, inline, &n), descending: order.descending)) }
        out.partition = s.partition.map { mark($0, inline, &n) }
        return out
    }

    /// Each value (a bind, a LIKE's needle) becomes the marker `@n@`: bound, or written as the identifier `"@n@"`.
    private static func mark(_ e: SQLExpression, _ inline: Bool, _ n: inout Int) -> SQLExpression {
        func marker() -> SQLExpression {
            defer { n += 1 }
            return inline ? .column(table: "@\(n)@", name: "v") : .bind(.text("@\(n)@"))
        }
        func list(_ items: [SQLExpression]) -> [SQLExpression] {
            var out: [SQLExpression] = []
            for item in items { out.append(mark(item, inline, &n)) }
            return out
        }
        switch e {
        case .bind: return marker()
        case .column, .null, .star, .integer: return e
        case .exists(let s): return .exists(mark(s, inline: inline, &n))
        case .subquery(let s): return .subquery(mark(s, inline: inline, &n))
        case .and(let parts): return .and(list(parts))
        case .or(let parts): return .or(list(parts))
        case .not(let inner): return .not(mark(inner, inline, &n))
        case .compare(let a, let op, let b):
            let a = mark(a, inline, &n)
            return .compare(a, op, mark(b, inline, &n))
        case .isNull(let inner, let negated): return .isNull(mark(inner, inline, &n), negated: negated)
        case .inList(let inner, let items, let negated):
            let inner = mark(inner, inline, &n)
            return .inList(inner, list(items), negated: negated)
        case .between(let inner, let low, let high, let negated):
            let inner = mark(inner, inline, &n), low = mark(low, inline, &n)
            return .between(inner, low, mark(high, inline, &n), negated: negated)
        case .like(let inner, _, _, let insensitive, _):
            // The renderer writes the subject, then binds the pattern: as a comparison does.
            let subject = mark(insensitive ? .lower(inner) : inner, inline, &n)
            return .compare(subject, .eq, marker())
        case .lower(let inner): return .lower(mark(inner, inline, &n))
        case .aggregate(let function, let inner, let distinct): return .aggregate(function, mark(inner, inline, &n), distinct: distinct)
        case .datePart(let part, let inner): return .datePart(part, mark(inner, inline, &n))
        case .caseWhen(let condition, let value):
            let condition = mark(condition, inline, &n)
            return .caseWhen(condition, mark(value, inline, &n))
        case .text(let inner): return .text(mark(inner, inline, &n))
        }
    }
}

/// A small fixed schema: authors ←m2o— articles ←m2o— comments (each m2o with its o2m alias), every field type
/// the compiler treats differently, a sort field, and the system collections.
enum QuerySchema {
    static let snapshot: SchemaSnapshot = {
        func field(_ name: String, _ type: FieldType, primary: Bool = false, special: [String] = []) -> FieldSchema {
            var f = FieldSchema(name: name, type: type)
            f.isPrimaryKey = primary
            f.nullable = !primary
            f.autoIncrement = primary && type == .integer
            f.special = special
            return f
        }
        let authors = CollectionSchema(name: "authors", fields: [
            field("id", .integer, primary: true), field("name", .string), field("email", .string), field("age", .integer),
            field("secret", .string, special: ["conceal"]), field("articles", .alias, special: ["o2m"]),
        ], primaryKey: "id")
        var articles = CollectionSchema(name: "articles", fields: [
            field("id", .integer, primary: true), field("title", .string), field("body", .text), field("status", .string),
            field("views", .integer), field("big", .bigInteger), field("price", .decimal), field("rating", .float),
            field("featured", .boolean), field("published_on", .date), field("at", .time), field("created", .timestamp),
            field("updated", .dateTime), field("data", .json, special: ["cast-json"]), field("tags", .csv),
            field("uid", .uuid), field("author", .integer), field("sort", .integer), field("comments", .alias, special: ["o2m"]),
        ], primaryKey: "id")
        articles.meta = .object([("sort_field", .string("sort"))])
        let comments = CollectionSchema(name: "comments", fields: [
            field("id", .uuid, primary: true, special: ["uuid"]), field("article", .integer), field("text", .text),
            field("created", .dateTime),
        ], primaryKey: "id")
        var collections = SchemaSnapshot.system.collections
        for c in [authors, articles, comments] { collections[c.name] = c }
        var byAuthor = RelationSchema(collection: "articles", field: "author", relatedCollection: "authors")
        byAuthor.oneField = "articles"
        var onArticle = RelationSchema(collection: "comments", field: "article", relatedCollection: "articles")
        onArticle.oneField = "comments"
        return SchemaSnapshot(collections: collections, relations: SchemaSnapshot.system.relations + [byAuthor, onArticle])
    }()

    /// A role's read rules: every author; published articles (some fields) or Ada's (all fields); all comments.
    static let access: ActionAccess = {
        func rule(_ collection: String, _ fields: [String], _ filter: String?) -> PermissionRule {
            PermissionRule(collection: collection, action: "read", filter: filter.map { try! JSONValue.parse(Array($0.utf8)) },
                           validation: nil, presets: nil, fields: fields)
        }
        return ActionAccess(action: "read", rules: [
            rule("authors", ["id", "name", "articles"], nil),
            rule("articles", ["id", "title", "status", "author", "comments", "published_on"], #"{"status":{"_eq":"published"}}"#),
            rule("articles", ["*"], #"{"author":{"name":{"_eq":"Ada"}}}"#),
            rule("comments", ["*"], #"{"text":{"_ncontains":"spam"}}"#),
        ])
    }()
}
