import CMS
import Foundation
import Testing

/// Collections, fields, relations and items with the query language, end to end — the same requests and the
/// same expected answers on SQLite and on PostgreSQL.
@Suite struct ItemsHTTPTests {
    /// `authors` ← `articles.author` (m2o, o2m `authors.articles`), created through the API, with items.
    static func blog(_ dialect: Dialect) async throws -> (DepotProcess, TestDatabase, String)? {
        guard let (depot, test) = try await HTTPTests.server(dialect) else { return nil }
        let token = try await depot.adminToken()
        func post(_ path: String, _ body: JSONValue) async throws { try await depot.expectOK("POST", path, body, token: token) }
        try await post("/collections", .object([("collection", "authors"), ("fields", .array([
            .object([("field", "name"), ("type", "string"), ("schema", .object([("is_nullable", false), ("is_unique", true), ("max_length", .int(40))]))]),
        ]))]))
        try await post("/collections", .object([("collection", "articles"), ("fields", .array([
            .object([("field", "title"), ("type", "string")]),
            .object([("field", "status"), ("type", "string"), ("schema", .object([("default_value", "draft")]))]),
            .object([("field", "views"), ("type", "integer")]),
            .object([("field", "price"), ("type", "decimal"), ("schema", .object([("numeric_precision", .int(10)), ("numeric_scale", .int(2))]))]),
            .object([("field", "published_on"), ("type", "date")]),
            .object([("field", "tags"), ("type", "json")]),
            .object([("field", "featured"), ("type", "boolean")]),
            .object([("field", "author"), ("type", "integer"), ("schema", .object([("foreign_key_table", "authors"), ("foreign_key_column", "id")]))]),
        ]))]))
        try await post("/relations", .object([("collection", "articles"), ("field", "author"), ("related_collection", "authors"),
                                              ("meta", .object([("one_field", "articles")]))]))
        try await post("/fields/authors", .object([("field", "articles"), ("type", "alias"), ("meta", .object([("special", .array(["o2m"]))]))]))
        try await post("/items/articles", .array([
            .object([("title", "Hello"), ("status", "published"), ("views", .int(10)), ("price", "9.5"), ("published_on", "2026-01-05"),
                     ("tags", .array(["a", "b"])), ("featured", true), ("author", .object([("name", "Ada")]))]),
            .object([("title", "World"), ("status", "published"), ("views", .int(30)), ("price", .int(20)), ("published_on", "2026-03-01"),
                     ("featured", false), ("author", .object([("name", "Grace")]))]),
            .object([("title", "Draft's \"quote\""), ("views", .int(5)), ("author", .int(1))]),
        ]))
        return (depot, test, token)
    }

    @Test(arguments: Dialect.allCases)
    func queriesGiveTheSameAnswersOnBothDialects(dialect: Dialect) async throws {
        guard let (depot, test, token) = try await Self.blog(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        func data(_ path: String) async throws -> JSONValue {
            let reply = try await depot.request("GET", path, token: token)
            #expect(reply.status == 200, "\(path): \(reply.text)")
            return (reply.json["data"] ?? .null).sortedKeys
        }
        func titles(_ query: String) async throws -> [String] {
            guard case .array(let rows) = try await data("/items/articles?fields=title&\(query)") else { return [] }
            return rows.compactMap { $0["title"]?.stringValue }
        }

        let first = try await data("/items/articles/1?fields=id,title,status,price,published_on,tags,featured,author.name")
        #expect(first == JSONValue.object([("id", .int(1)), ("title", "Hello"), ("status", "published"), ("price", "9.50"), ("published_on", "2026-01-05"),
                                  ("tags", .array(["a", "b"])), ("featured", true), ("author", .object([("name", "Ada")]))]).sortedKeys)
        #expect(try await data("/items/articles/3?fields=status,author")["status"] == "draft")

        #expect(try await titles("filter[status][_eq]=published&sort=-views") == ["World", "Hello"])
        #expect(try await titles(#"filter={"author":{"name":{"_eq":"Grace"}}}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!.replacingOccurrences(of: "filter%3D", with: "filter=")) == ["World"])
        #expect(try await titles("filter[views][_between]=6,30&sort=views") == ["Hello", "World"])
        #expect(try await titles("filter[title][_icontains]=WOR") == ["World"])
        #expect(try await titles("filter[title][_nstarts_with]=H&sort=id") == ["World", "Draft's \"quote\""])
        #expect(try await titles("filter[status][_null]=true") == [])
        #expect(try await titles("filter[_or][0][views][_lt]=6&filter[_or][1][views][_gt]=20&sort=id") == ["World", "Draft's \"quote\""])
        #expect(try await titles("filter[year(published_on)][_eq]=2026&filter[month(published_on)][_eq]=3") == ["World"])
        #expect(try await titles("search=hel") == ["Hello"])
        #expect(try await titles("sort=-author.name,title") == ["World", "Draft's \"quote\"", "Hello"])
        #expect(try await titles("limit=1&page=2&sort=id") == ["World"])

        let authors = try await data("/items/authors?fields=name,articles.title&sort=name&deep[articles][_sort]=-views")
        #expect(authors == JSONValue.array([
            .object([("name", "Ada"), ("articles", .array([.object([("title", "Hello")]), .object([("title", "Draft's \"quote\"")])]))]),
            .object([("name", "Grace"), ("articles", .array([.object([("title", "World")])]))]),
        ]).sortedKeys)
        #expect(try await data("/items/authors?fields=name,articles&filter[articles][_some][views][_gt]=20") == JSONValue.array([
            .object([("name", "Grace"), ("articles", .array([.int(2)]))]),
        ]).sortedKeys)
        #expect(try await data("/items/authors?fields=name&filter[articles][_none][views][_gt]=20") == .array([.object([("name", "Ada")])]))

        let meta = try await depot.request("GET", "/items/articles?meta=*&filter[views][_gte]=10&limit=1", token: token)
        #expect(meta.json["meta"]?.sortedKeys == JSONValue.object([("total_count", .int(3)), ("filter_count", .int(2))]).sortedKeys)

        #expect(try await data("/items/articles?aggregate[count]=*") == .array([.object([("count", "3")])]))
        #expect(try await data("/items/articles?aggregate[sum]=views&aggregate[max]=views&groupBy[]=status&sort=status") == JSONValue.array([
            .object([("status", "draft"), ("max", .object([("views", .int(5))])), ("sum", .object([("views", "5")]))]),
            .object([("status", "published"), ("max", .object([("views", .int(30))])), ("sum", .object([("views", "40")]))]),
        ]).sortedKeys)
    }

    @Test(arguments: Dialect.allCases)
    func badInputIsAClearErrorAndChangesNothing(dialect: Dialect) async throws {
        guard let (depot, test, token) = try await Self.blog(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        let duplicate = try await depot.request("POST", "/items/authors", json: .object([("name", "Ada")]), token: token)
        #expect(duplicate.status == 400 && duplicate.errorCode == "RECORD_NOT_UNIQUE")
        let missing = try await depot.request("POST", "/items/authors", json: .object([("name", .null)]), token: token)
        #expect(missing.errorCode == "NOT_NULL_VIOLATION")
        let long = try await depot.request("POST", "/items/authors", json: .object([("name", .string(String(repeating: "x", count: 41)))]), token: token)
        #expect(long.errorCode == "VALUE_TOO_LONG")
        let wrongType = try await depot.request("POST", "/items/articles", json: .object([("views", "many")]), token: token)
        #expect(wrongType.errorCode == "INVALID_PAYLOAD")
        let badKey = try await depot.request("POST", "/items/articles", json: .object([("author", .int(999))]), token: token)
        #expect(badKey.errorCode == "INVALID_FOREIGN_KEY")
        #expect(try await depot.request("GET", "/items/nothing", token: token).errorCode == "FORBIDDEN")
        #expect(try await depot.request("GET", "/items/articles/999", token: token).errorCode == "FORBIDDEN")
        #expect(try await depot.request("GET", "/items/articles/abc", token: token).errorCode == "FORBIDDEN", "a key of the wrong type is unknown")
        #expect(try await depot.request("GET", "/items/directus_users", token: token).errorCode == "FORBIDDEN")

        let attacks = ["fields=title;DROP%20TABLE%20articles", "sort=title%22%20DESC", "filter[title%22--][_eq]=x", "filter[title][_eq]=%27%20OR%201=1--",
                       "aggregate[sum]=views)%20FROM%20articles;--", "groupBy[]=status%22", "deep[articles%22][_limit]=1",
                       "filter[title][_eq]=%00", "search=\(String(repeating: "%27", count: 3000))", "filter[title][_regex]=.*",
                       "fields=tags-%3E%3E'a'", "filter[tags-%3E%3E'$.a'][_eq]=1", "sort=-", "sort=author.name%22%3B--",
                       "aggregate[count]=*)%20UNION%20SELECT%20password%20FROM%20directus_users--", "alias[x]=title%3BDROP",
                       "filter[author][name%27)%20OR%20(1=1][_eq]=x", "deep[articles][_filter][title%22][_eq]=1", "filter[title][_in]=%27,%22,%00",
                       "filter[views][_eq]=\(String(repeating: "9", count: 5000))", "groupBy[]=year(published_on))%20--",
                       "filter[title][_contains]=%25%27%22%5C%00", "meta=*%22", "limit=1;DROP", "page=-1", "offset=99999999999999999999"]
        for attack in attacks {
            // Brackets go encoded: Foundation's URL would otherwise re-encode every `%` and defuse the attack.
            let encoded = attack.replacingOccurrences(of: "[", with: "%5B").replacingOccurrences(of: "]", with: "%5D")
            let reply = try await depot.request("GET", "/items/articles?\(encoded)", token: token)
            #expect([200, 400, 403].contains(reply.status), "\(attack) → \(reply.status)")
            // The answer may quote the caller's own text back; it must never show the SQL Depot built.
            #expect(!reply.text.contains("FROM \\\"articles\\\"") && !reply.text.contains("\"c0\"") && !reply.text.lowercased().contains("syntax"),
                    "\(attack): \(reply.text)")
        }
        // Quotes, NUL and a very long value as data: stored and read back as they are.
        let nasty = "x'); DROP TABLE articles; -- \" \\ " + String(repeating: "é", count: 10_000)
        let stored = try await depot.request("POST", "/items/articles?fields=title", json: .object([("title", .string(String(nasty.prefix(200))))]), token: token)
        #expect(stored.status == 200 && stored.json["data"]?["title"] == .string(String(nasty.prefix(200))), "\(stored.text)")
        let tooLong = try await depot.request("POST", "/items/articles", json: .object([("title", .string(nasty))]), token: token)
        #expect(tooLong.status == 400 && tooLong.errorCode == "VALUE_TOO_LONG")
        let nul = try await depot.request("POST", "/items/articles", json: .object([("title", "a\u{0}b")]), token: token)
        #expect(nul.status == 400 && nul.errorCode == "INVALID_PAYLOAD")
        _ = try await depot.request("DELETE", "/items/articles", json: .object([("query", .object([("filter", .object([("title", .object([("_starts_with", "x'")]))]))]))]), token: token)
        let count = try await depot.request("GET", "/items/articles?aggregate[count]=*", token: token)
        #expect(count.json["data"] == .array([.object([("count", "3")])]))
        #expect(try await depot.request("GET", "/users?aggregate[count]=*", token: token).json["data"] == .array([.object([("count", "1")])]))

        // Writes: activity and revisions recorded with the change.
        let updated = try await depot.request("PATCH", "/items/articles/2?fields=title,views", json: .object([("views", .int(31))]), token: token)
        #expect(updated.json["data"]?.sortedKeys == JSONValue.object([("title", "World"), ("views", .int(31))]).sortedKeys)
        let revisions = try await depot.request("GET", "/revisions?filter[collection][_eq]=articles&filter[item][_eq]=2&sort=-id&limit=1&fields=delta", token: token)
        #expect(revisions.json["data"] == .array([.object([("delta", .object([("views", .int(31))]))])]))
        #expect(try await depot.request("DELETE", "/items/articles", json: .array([.int(3)]), token: token).status == 204)
        let activity = try await depot.request("GET", "/activity?filter[action][_eq]=delete&filter[item][_eq]=3&fields=collection,item", token: token)
        #expect(activity.json["data"]?.sortedKeys == JSONValue.array([.object([("collection", "articles"), ("item", "3")])]).sortedKeys)
    }
}

extension JSONValue {
    /// The same value with every object's keys in sorted order (the test client's decoder sorts them).
    var sortedKeys: JSONValue {
        switch self {
        case .object(let dict, let keys): .object(keys.sorted().map { ($0, dict[$0]!.sortedKeys) })
        case .array(let items): .array(items.map(\.sortedKeys))
        default: self
        }
    }
}
