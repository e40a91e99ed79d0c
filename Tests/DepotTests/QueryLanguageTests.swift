import CMS
import Foundation
import Testing

/// Every filter operator, dynamic values, functions, each aggregate with and without groupBy, and relational
/// fields, filters, sorts and deep of depth 2 — the same requests and answers on SQLite and on PostgreSQL.
@Suite struct QueryLanguageTests {
    @Test(arguments: Dialect.allCases)
    func everyOperatorSelectsTheSameRows(dialect: Dialect) async throws {
        guard let (depot, test, token) = try await ItemsHTTPTests.blog(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        func ids(_ filter: String, _ collection: String = "articles") async throws -> [Int64] {
            // Brackets are sent encoded: Foundation's URL would otherwise re-encode the whole query, `%` included.
            let encoded = filter.replacingOccurrences(of: "[", with: "%5B").replacingOccurrences(of: "]", with: "%5D")
            let reply = try await depot.request("GET", "/items/\(collection)?fields=id&sort=id&\(encoded)", token: token)
            #expect(reply.status == 200, "\(filter): \(reply.text)")
            return reply.json["data"]?.arrayItems?.compactMap { if case .int(let id)? = $0["id"] { id } else { nil } } ?? []
        }
        // 1 "Hello" (published, 10 views, 9.50, 2026-01-05, Ada) · 2 "World" (published, 30, 20, 2026-03-01, Grace)
        // 3 "Draft's "quote"" (draft, 5 views, no price, no date, Ada)
        let cases: [(String, [Int64])] = [
            ("filter[title][_eq]=Hello", [1]), ("filter[status][_neq]=published", [3]), ("filter[price][_neq]=20", [1, 3]),
            ("filter[views][_lt]=10", [3]), ("filter[views][_lte]=10", [1, 3]), ("filter[views][_gt]=10", [2]), ("filter[views][_gte]=10", [1, 2]),
            ("filter[views][_in]=5,30", [2, 3]), ("filter[views][_nin]=5,30", [1]), ("filter[price][_null]=true", [3]),
            ("filter[price][_nnull]=true", [1, 2]), ("filter[title][_contains]=orl", [2]), ("filter[title][_contains]=ORL", []),
            ("filter[title][_ncontains]=l", [3]), ("filter[title][_icontains]=WOR", [2]), ("filter[title][_nicontains]=HEL", [2, 3]),
            ("filter[title][_starts_with]=Dr", [3]), ("filter[title][_starts_with]=dr", []), ("filter[title][_nstarts_with]=H", [2, 3]),
            ("filter[title][_istarts_with]=he", [1]), ("filter[title][_nistarts_with]=he", [2, 3]), ("filter[title][_ends_with]=ld", [2]),
            ("filter[title][_ends_with]=LD", []), ("filter[title][_nends_with]=ld", [1, 3]), ("filter[title][_iends_with]=LO", [1]),
            ("filter[title][_niends_with]=LO", [2, 3]), ("filter[views][_between]=6,30", [1, 2]), ("filter[views][_nbetween]=6,29", [2, 3]),
            ("filter[title][_contains]=%25", []), ("filter[title][_contains]=_", []), ("filter[title][_contains]=%22quote", [3]),
            ("filter[price][_gt]=9.5", [2]), ("filter[price][_gte]=9.5", [1, 2]), ("filter[featured][_eq]=true", [1]),
            ("filter[featured][_eq]=false", [2]), ("filter[published_on][_gt]=2026-02-01", [2]),
            ("filter[published_on][_lte]=$NOW", [1, 2]), ("filter[published_on][_gte]=$NOW(-10%20years)", [1, 2]),
            ("filter[published_on][_gte]=$NOW(%2B1%20day)", []), ("filter[day(published_on)][_eq]=5", [1]),
            ("filter[weekday(published_on)][_eq]=1", [1]), ("filter[week(published_on)][_eq]=9", [2]),
            ("filter[author][name][_eq]=Ada", [1, 3]), ("filter[author][articles][_some][views][_gt]=20", [2]),
            ("filter[_and][0][status][_eq]=published&filter[_and][1][views][_lt]=20", [1]),
            ("filter[_or][0][_and][0][views][_gt]=20&filter[_or][1][title][_eq]=Hello", [1, 2]),
            (#"filter={"_or":[{"price":{"_null":true}},{"author":{"name":{"_eq":"Grace"}}}]}"#, [2, 3]),
        ]
        for (filter, expected) in cases {
            let encoded = filter.hasPrefix("filter={") ? "filter=" + filter.dropFirst(7).addingPercentEncoding(withAllowedCharacters: .alphanumerics)! : filter
            #expect(try await ids(encoded) == expected, "\(filter)")
        }
        #expect(try await ids("filter[count(articles)][_gt]=1", "authors") == [1])
        #expect(try await ids("filter[articles][_none][status][_eq]=draft", "authors") == [2])
        #expect(try await ids("filter[articles][_some][author][name][_eq]=Grace", "authors") == [2])

        // _empty / _nempty: null or empty string.
        _ = try await depot.request("POST", "/items/articles", json: .object([("title", "")]), token: token)
        #expect(try await ids("filter[title][_empty]=true") == [4])
        #expect(try await ids("filter[title][_nempty]=true") == [1, 2, 3])

        // $CURRENT_USER and $CURRENT_ROLE, also with a field of the user.
        for filter in ["filter[id][_eq]=$CURRENT_USER", "filter[email][_eq]=$CURRENT_USER.email", "filter[role][_eq]=$CURRENT_ROLE"] {
            let reply = try await depot.request("GET", "/users?fields=email&\(filter)", token: token)
            #expect(reply.json["data"] == .array([.object([("email", "admin@example.com")])]), "\(filter): \(reply.text)")
        }
        // Unknown operators and fields are refused, not ignored.
        for bad in ["filter[views][_like]=1", "filter[nope][_eq]=1", "filter[author][nope][_eq]=1", "filter[views][_in]=a,b",
                    "filter[published_on][_gt]=$NOW(sideways)"] {
            let reply = try await depot.request("GET", "/items/articles?\(bad)", token: token)
            #expect(reply.status == 400 && reply.errorCode == "INVALID_QUERY", "\(bad): \(reply.status) \(reply.text)")
        }
    }

    @Test(arguments: Dialect.allCases)
    func aggregatesAndRelationsOfDepthTwo(dialect: Dialect) async throws {
        guard let (depot, test, token) = try await ItemsHTTPTests.blog(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        func data(_ path: String) async throws -> JSONValue {
            let reply = try await depot.request("GET", path, token: token)
            #expect(reply.status == 200, "\(path): \(reply.text)")
            return (reply.json["data"] ?? .null).sortedKeys
        }
        func object(_ pairs: [(String, JSONValue)]) -> JSONValue { JSONValue.object(pairs).sortedKeys }

        // Without groupBy: one row. Counts and sums are strings (exact), min/max keep the field's type.
        #expect(try await data("/items/articles?aggregate[count]=views&aggregate[countDistinct]=author&aggregate[countAll]&aggregate[min]=views&aggregate[max]=price")
            == .array([object([("count", .object([("views", "3")])), ("countDistinct", .object([("author", "2")])), ("countAll", "3"),
                               ("min", .object([("views", .int(5))])), ("max", .object([("price", "20.00")]))])]))
        let sums = try await data("/items/articles?aggregate[sum]=views&aggregate[sumDistinct]=author&aggregate[avg]=views&aggregate[avgDistinct]=author")
        #expect(sums.arrayItems?.first?["sum"] == .object([("views", "45")]))
        #expect(sums.arrayItems?.first?["sumDistinct"] == .object([("author", "3")]))
        #expect(sums.arrayItems?.first?["avg"]?["views"]?.stringValue.flatMap(Double.init) == 15)
        #expect(sums.arrayItems?.first?["avgDistinct"]?["author"]?.stringValue.flatMap(Double.init) == 1.5)

        // With groupBy: fields, a relational key, and a function.
        #expect(try await data("/items/articles?aggregate[count]=*&aggregate[sum]=views&groupBy=author&sort=author") == .array([
            object([("author", .int(1)), ("count", "2"), ("sum", .object([("views", "15")]))]),
            object([("author", .int(2)), ("count", "1"), ("sum", .object([("views", "30")]))]),
        ]))
        #expect(try await data("/items/articles?aggregate[count]=*&groupBy[]=month(published_on)&groupBy[]=status&sort=status,month(published_on)") == .array([
            object([("count", "1"), ("published_on_month", .null), ("status", "draft")]),
            object([("count", "1"), ("published_on_month", .int(1)), ("status", "published")]),
            object([("count", "1"), ("published_on_month", .int(3)), ("status", "published")]),
        ]))
        #expect(try await data("/items/articles?aggregate[avg]=views&groupBy=status&filter[views][_gt]=5") == .array([
            object([("avg", .object([("views", "20")])), ("status", "published")]),
        ]).sortedKeys)

        // Depth 2: authors → articles (o2m) → author (m2o), with deep per-level queries.
        #expect(try await data("/items/authors?fields=name,articles.title,articles.author.name&sort=name&deep[articles][_filter][views][_gt]=6&deep[articles][_sort]=-views") == .array([
            object([("name", "Ada"), ("articles", .array([object([("title", "Hello"), ("author", .object([("name", "Ada")]))])]))]),
            object([("name", "Grace"), ("articles", .array([object([("title", "World"), ("author", .object([("name", "Grace")]))])]))]),
        ]))
        #expect(try await data("/items/authors?fields=name,articles.title&sort=-name&deep[articles][_limit]=1&deep[articles][_sort]=title") == .array([
            object([("name", "Grace"), ("articles", .array([.object([("title", "World")])]))]),
            object([("name", "Ada"), ("articles", .array([.object([("title", "Draft's \"quote\"")])]))]),
        ]))
        #expect(try await data("/items/authors/1?fields=articles.id&deep[articles][_search]=hel") == object([("articles", .array([.object([("id", .int(1))])]))]))

        // comments → article (m2o) → author (m2o): fields, filter and sort two levels down.
        let made = try await depot.request("POST", "/collections", json: .object([("collection", "comments"), ("fields", .array([
            .object([("field", "body"), ("type", "string")]),
            .object([("field", "article"), ("type", "integer"), ("schema", .object([("foreign_key_table", "articles")]))]),
        ]))]), token: token)
        #expect(made.status == 200)
        _ = try await depot.request("POST", "/items/comments", json: .array([
            .object([("body", "on hello"), ("article", .int(1))]), .object([("body", "on world"), ("article", .int(2))]),
            .object([("body", "on draft"), ("article", .int(3))]),
        ]), token: token)
        #expect(try await data("/items/comments?fields=body,article.author.name&sort=-article.author.name,body") == .array([
            object([("body", "on world"), ("article", .object([("author", .object([("name", "Grace")]))]))]),
            object([("body", "on draft"), ("article", .object([("author", .object([("name", "Ada")]))]))]),
            object([("body", "on hello"), ("article", .object([("author", .object([("name", "Ada")]))]))]),
        ]))
        #expect(try await data("/items/comments?fields=body&filter[article][author][name][_eq]=Ada&filter[article][views][_gt]=6") == .array([
            .object([("body", "on hello")]),
        ]))
        #expect(try await data("/items/comments?fields=*.*&filter[article][_eq]=2").arrayItems?.first?["article"]?["title"] == "World")
        #expect(try await data("/items/comments?fields=body,article.year(published_on)&sort=body&limit=1") == .array([
            .object([("article", .object([("published_on_year", .null)])), ("body", "on draft")]),
        ]))
    }
}
