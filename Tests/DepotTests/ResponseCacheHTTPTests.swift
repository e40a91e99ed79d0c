import CMS
import Database
import Foundation
import Testing

/// The response cache through HTTP, on the memory store and on Redis: hits and misses, precise invalidation
/// (relational reads included), schema changes, callers with different permissions, `no-store`, headers.
@Suite struct ResponseCacheHTTPTests {
    enum Store: String, CaseIterable, Sendable { case memory, redis }

    /// The cache's variables for `store`, each Redis test in a namespace of its own (tests run in parallel).
    static func environment(_ store: Store, _ extra: [String: String] = [:]) -> [String: String]? {
        var environment = ["CACHE_ENABLED": "true", "CACHE_STORE": store.rawValue, "CACHE_TTL": "5m"]
        if store == .redis {
            guard let url = TestServices.available(TestServices.redis, name: "Redis") else { return nil }
            let namespace = "test-\(UUID().uuidString)"
            environment.merge(["REDIS": url, "CACHE_NAMESPACE": namespace, "REDIS_BUS_NAMESPACE": namespace + ":bus"]) { $1 }
        }
        return environment.merging(extra) { $1 }
    }

    @Test(arguments: Store.allCases)
    func hitsAndPreciseInvalidation(store: Store) async throws {
        guard let environment = Self.environment(store),
              let (depot, test, token) = try await ItemsRelationsTests.catalog(.sqlite, environment) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        try await depot.expectOK("POST", "/items/articles", .object([("title", "First"), ("rank", .int(1)),
                                                                     ("comments", .array([.object([("body", "nice"), ("stars", .int(4))])]))]), token: token)
        func get(_ path: String) async throws -> DepotProcess.Reply { try await depot.request("GET", path, token: token) }

        let articles = "/items/articles?limit=25&fields=id,title,comments.body"
        let first = try await get(articles)
        #expect(first.status == 200 && first.header("X-Cache") == "MISS", "\(first.headers)")
        let second = try await get(articles)
        #expect(second.header("X-Cache") == "HIT" && second.body == first.body)
        #expect(second.header("Content-Type")?.hasPrefix("application/json") == true)
        #expect(second.header("Vary") == "Origin, Cache-Control")
        #expect(second.header("Cache-Control") == "no-cache", "an authenticated caller revalidates")
        // The same query written differently is the same entry.
        #expect(try await get("/items/articles?fields=id,title,comments.body&limit=25").header("X-Cache") == "HIT")
        #expect(try await get("/items/tags").header("X-Cache") == "MISS")
        #expect(try await get("/items/tags").header("X-Cache") == "HIT")

        // A write to tags keeps the articles entry and drops the tags one.
        try await depot.expectOK("POST", "/items/tags", .object([("name", "redis")]), token: token)
        #expect(try await get(articles).header("X-Cache") == "HIT")
        let tags = try await get("/items/tags")
        #expect(tags.header("X-Cache") == "MISS" && tags.text.contains("redis"))

        // A write to comments drops the articles entry that read comments.
        let comment = try await depot.request("GET", "/items/comments?fields=id&limit=1", token: token).json["data"]?.arrayItems?.first?["id"]
        try await depot.expectOK("PATCH", "/items/comments/\(comment.flatMap(CollectionStore.keyText) ?? "")", .object([("body", "edited")]), token: token)
        let edited = try await get(articles)
        #expect(edited.header("X-Cache") == "MISS" && edited.text.contains("edited"), "\(edited.text)")
        #expect(try await get("/items/tags").header("X-Cache") == "HIT", "tags did not read comments")

        // A schema change drops everything; so does clearing the cache.
        try await depot.expectOK("POST", "/fields/tags", .object([("field", "colour"), ("type", "string")]), token: token)
        let afterSchema = try await get("/items/tags")
        #expect(afterSchema.header("X-Cache") == "MISS" && afterSchema.text.contains("colour"))
        #expect(try await get("/items/tags").header("X-Cache") == "HIT")
        let clear = try await depot.request("POST", "/utils/cache/clear", token: token)
        #expect(clear.status == 200)
        #expect(try await get("/items/tags").header("X-Cache") == "MISS")
        #expect(try await depot.request("POST", "/utils/cache/clear").status == 403, "clearing is for administrators")

        // Only successful reads are kept; exports are never cached.
        #expect(try await get("/items/nothing").header("X-Cache") == nil)
        #expect(try await get("/items/tags?export=json").header("X-Cache") == nil)
    }

    /// Each dialect and each store once.
    static let setups: [(Dialect, Store)] = [(.sqlite, .memory), (.postgres, .redis)]

    /// The seed guide's `CACHE_AUTO_PURGE=true`: a write drops the entries that read what it wrote — reads of
    /// other collections stay, reads of other collections that joined it go (Directus empties everything).
    @Test(arguments: setups)
    func autoPurgeDropsExactlyWhatAWriteMadeStale(dialect: Dialect, store: Store) async throws {
        guard let environment = Self.environment(store, ["CACHE_AUTO_PURGE": "true"]),
              let (depot, test, token) = try await ItemsRelationsTests.catalog(dialect, environment) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        try await depot.expectOK("POST", "/items/articles", .object([("title", "First"), ("rank", .int(1)),
                                                                     ("comments", .array([.object([("body", "nice"), ("stars", .int(4))])]))]), token: token)
        func cache(_ path: String) async throws -> String? { try await depot.request("GET", path, token: token).header("X-Cache") }
        let tags = "/items/tags", comments = "/items/comments?fields=body", commentsWithArticle = "/items/comments?fields=body,article.title"
        let articles = "/items/articles?fields=title", articlesWithComments = "/items/articles?fields=title,comments.body"
        func warm() async throws {
            for path in [tags, comments, commentsWithArticle, articles, articlesWithComments] {
                _ = try await cache(path)
                #expect(try await cache(path) == "HIT", "\(path)")
            }
        }
        try await warm()

        try await depot.expectOK("PATCH", "/items/articles/1", .object([("title", "Renamed")]), token: token)
        #expect(try await cache(tags) == "HIT", "a write to articles keeps the reads of tags")
        #expect(try await cache(comments) == "HIT", "and of comments that did not join articles")
        let joined = try await depot.request("GET", commentsWithArticle, token: token)
        #expect(joined.header("X-Cache") == "MISS" && joined.text.contains("Renamed"), "\(joined.text)")
        #expect(try await cache(articles) == "MISS")
        #expect(try await cache(articlesWithComments) == "MISS")

        try await warm()
        let comment = try await depot.request("GET", "/items/comments?fields=id&limit=1", token: token).json["data"]?.arrayItems?.first?["id"]
        try await depot.expectOK("PATCH", "/items/comments/\(comment.flatMap(CollectionStore.keyText) ?? "")", .object([("body", "edited")]), token: token)
        #expect(try await cache(tags) == "HIT")
        #expect(try await cache(articles) == "HIT", "articles read without their comments stay")
        let withComments = try await depot.request("GET", articlesWithComments, token: token)
        #expect(withComments.header("X-Cache") == "MISS" && withComments.text.contains("edited"), "\(withComments.text)")
        #expect(try await cache(comments) == "MISS")
        #expect(try await cache(commentsWithArticle) == "MISS")
    }

    /// `CACHE_AUTO_PURGE_MODE=all` opts into Directus's purge: any write outside the ignore list empties the cache;
    /// a write to a listed collection still drops the reads of that collection.
    @Test(arguments: setups)
    func purgeModeAllEmptiesTheCacheOnWrites(dialect: Dialect, store: Store) async throws {
        guard let environment = Self.environment(store, ["CACHE_AUTO_PURGE_MODE": "all", "CACHE_AUTO_PURGE_IGNORE_LIST": "tags,directus_activity,directus_revisions"]),
              let (depot, test, token) = try await ItemsRelationsTests.catalog(dialect, environment) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        func cache(_ path: String) async throws -> String? { try await depot.request("GET", path, token: token).header("X-Cache") }
        func warm() async throws {
            for path in ["/items/tags", "/items/comments"] {
                _ = try await cache(path)
                #expect(try await cache(path) == "HIT", "\(path)")
            }
        }
        try await warm()
        try await depot.expectOK("POST", "/items/articles", .object([("title", "Any")]), token: token)
        #expect(try await cache("/items/tags") == "MISS", "a write to articles empties everything")
        #expect(try await cache("/items/comments") == "MISS")

        try await warm()
        try await depot.expectOK("POST", "/items/tags", .object([("name", "ignored")]), token: token)
        #expect(try await cache("/items/comments") == "HIT", "tags are on the ignore list")
        let tags = try await depot.request("GET", "/items/tags", token: token)
        #expect(tags.header("X-Cache") == "MISS" && tags.text.contains("ignored"), "yet their own reads are never stale")
    }

    /// A permission rule's reads tag the answer too: a reader whose comment rule filters on the article's title
    /// and on its own first name loses its cached answer when either changes.
    @Test(arguments: setups)
    func permissionRulesThatReadOtherTablesTagTheAnswer(dialect: Dialect, store: Store) async throws {
        guard let environment = Self.environment(store, ["CACHE_AUTO_PURGE": "true"]),
              let (depot, test, token) = try await ItemsRelationsTests.catalog(dialect, environment) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        func post(_ path: String, _ body: JSONValue) async throws -> String {
            let reply = try await depot.request("POST", path + "?fields=id", json: body, token: token)
            #expect(reply.status == 200, "\(path): \(reply.text)")
            return CollectionStore.keyText(reply.json["data"]?["id"] ?? .null) ?? ""
        }
        _ = try await post("/items/articles", .object([("title", "Ada"), ("comments", .array([.object([("body", "for Ada")])]))]))
        let role = try await post("/roles", .object([("name", "Readers")]))
        let user = try await post("/users", .object([("email", "ada@example.com"), ("password", "ada-password"), ("first_name", "Ada"), ("role", .string(role))]))
        let policy = try await post("/policies", .object([("name", "Readers")]))
        _ = try await post("/access", .object([("policy", .string(policy)), ("role", .string(role))]))
        _ = try await post("/permissions", .object([("policy", .string(policy)), ("collection", "comments"), ("action", "read"), ("fields", .array(["*"])),
                                                    ("permissions", .object([("article", .object([("title", .object([("_eq", "$CURRENT_USER.first_name")]))]))]))]))
        let login = try await depot.request("POST", "/auth/login", json: .object([("email", "ada@example.com"), ("password", "ada-password")]))
        let reader = try #require(login.json["data"]?["access_token"]?.stringValue, "\(login.text)")
        func comments() async throws -> (cache: String?, bodies: [String]) {
            let reply = try await depot.request("GET", "/items/comments?fields=body", token: reader)
            #expect(reply.status == 200, "\(reply.text)")
            return (reply.header("X-Cache"), reply.json["data"]?.arrayItems?.compactMap { $0["body"]?.stringValue } ?? [])
        }
        #expect(try await comments().bodies == ["for Ada"])
        #expect(try await comments().cache == "HIT")

        try await depot.expectOK("PATCH", "/items/articles/1", .object([("title", "Grace")]), token: token)
        let renamed = try await comments()
        #expect(renamed.cache == "MISS" && renamed.bodies.isEmpty, "the rule's join read articles: \(renamed)")
        #expect(try await comments().cache == "HIT")

        try await depot.expectOK("PATCH", "/users/\(user)", .object([("first_name", "Grace")]), token: token)
        let own = try await comments()
        #expect(own.cache == "MISS" && own.bodies == ["for Ada"], "the rule read the reader's own row: \(own)")
    }

    /// Tags come from the compiled query, not from the SQL's words: a collection may be named like a keyword.
    @Test func collectionsNamedLikeSQLKeywordsAreInvalidated() async throws {
        guard let environment = Self.environment(.memory),
              let (depot, test) = try await HTTPTests.server(.sqlite, environment) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        let token = try await depot.adminToken()
        for name in ["only", "select"] {
            try await depot.expectOK("POST", "/collections", .object([("collection", .string(name)),
                                                                      ("fields", .array([.object([("field", "name"), ("type", "string")])]))]), token: token)
            try await depot.expectOK("POST", "/items/\(name)", .object([("name", "before")]), token: token)
            _ = try await depot.request("GET", "/items/\(name)", token: token)
            #expect(try await depot.request("GET", "/items/\(name)", token: token).header("X-Cache") == "HIT")
            try await depot.expectOK("PATCH", "/items/\(name)/1", .object([("name", "after")]), token: token)
            let read = try await depot.request("GET", "/items/\(name)", token: token)
            #expect(read.header("X-Cache") == "MISS" && read.text.contains("after"), "\(name): \(read.text)")
        }
    }

    @Test(arguments: Store.allCases)
    func callersWithDifferentPermissionsNeverShareAnEntry(store: Store) async throws {
        guard let environment = Self.environment(store, ["CACHE_CONTROL_S_MAXAGE": "60"]),
              let (depot, test, token) = try await ItemsRelationsTests.catalog(.sqlite, environment) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        for (title, rank) in [("Low", 1), ("High", 10)] {
            try await depot.expectOK("POST", "/items/articles", .object([("title", .string(title)), ("rank", .int(Int64(rank)))]), token: token)
        }
        let path = "/items/articles?fields=title&sort=id"
        let admin = try await depot.request("GET", path, token: token)
        #expect(admin.json["data"]?.arrayItems?.count == 2)
        #expect(try await depot.request("GET", path, token: token).header("X-Cache") == "HIT")
        // The public caller has no rule yet: the admin's entry must not answer it.
        #expect(try await depot.request("GET", path).status == 403)

        let policy = try await depot.request("GET", "/policies?filter%5Bicon%5D%5B_eq%5D=public&fields=id", token: token).json["data"]?.arrayItems?.first?["id"]?.stringValue ?? ""
        try await depot.expectOK("POST", "/permissions", .object([("policy", .string(policy)), ("collection", "articles"), ("action", "read"),
                                                                  ("fields", .array(["id", "title"])), ("permissions", .object([("rank", .object([("_gt", .int(5))]))]))]), token: token)
        let visitor = try await depot.request("GET", path)
        #expect(visitor.status == 200 && visitor.json["data"]?.arrayItems?.compactMap { $0["title"]?.stringValue } == ["High"], "\(visitor.text)")
        #expect(visitor.header("X-Cache") == "MISS")
        let again = try await depot.request("GET", path)
        #expect(again.header("X-Cache") == "HIT" && again.body == visitor.body)
        #expect(again.header("Cache-Control")?.hasPrefix("public, max-age=") == true && again.header("Cache-Control")?.hasSuffix(", s-maxage=60") == true,
                "\(again.header("Cache-Control") ?? "none")")
        #expect(try await depot.request("GET", path, token: token).json["data"]?.arrayItems?.count == 2, "the admin still sees both")

        // Changing the rule changes what the public caller gets at once.
        let rule = try await depot.request("GET", "/permissions?filter%5Bpolicy%5D%5B_eq%5D=\(policy)&filter%5Bcollection%5D%5B_eq%5D=articles&fields=id", token: token)
            .json["data"]?.arrayItems?.first?["id"].flatMap(CollectionStore.keyText) ?? ""
        try await depot.expectOK("PATCH", "/permissions/\(rule)", .object([("permissions", .object([("rank", .object([("_lt", .int(5))]))]))]), token: token)
        #expect(try await depot.request("GET", path).json["data"]?.arrayItems?.compactMap { $0["title"]?.stringValue } == ["Low"])
    }

    @Test func noStoreFromTheClientBypassesWhenAllowed() async throws {
        guard let environment = Self.environment(.memory, ["CACHE_SKIP_ALLOWED": "true"]),
              let (depot, test, token) = try await ItemsRelationsTests.catalog(.sqlite, environment) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        _ = try await depot.request("GET", "/items/tags", token: token)
        #expect(try await depot.request("GET", "/items/tags", token: token).header("X-Cache") == "HIT")
        let skipped = try await depot.request("GET", "/items/tags", headers: ["Cache-Control": "no-store"], token: token)
        #expect(skipped.status == 200 && skipped.header("X-Cache") == nil && skipped.header("Cache-Control") == "no-store")
    }

    @Test func rateLimitPerAddressAnswers429WithRetryAfter() async throws {
        guard let (depot, test) = try await HTTPTests.server(.sqlite, ["RATE_LIMITER_ENABLED": "true", "RATE_LIMITER_POINTS": "5",
                                                                        "RATE_LIMITER_DURATION": "60"]) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        // The test talks from loopback, a trusted proxy by default: X-Forwarded-For names the client.
        let client = ["X-Forwarded-For": "203.0.113.9"]
        for n in 1...5 { #expect(try await depot.request("GET", "/server/ping", headers: client).status == 200, "request \(n)") }
        let over = try await depot.request("GET", "/server/ping", headers: client)
        #expect(over.status == 429 && over.errorCode == "REQUESTS_EXCEEDED", "\(over.text)")
        #expect(Int(over.header("Retry-After") ?? "") ?? 0 >= 1)
        // Directus's extensions: the points and when the window resets, as a date.
        guard case .array(let errors)? = over.json["errors"], let extensions = errors.first?["extensions"] else { Issue.record("\(over.text)"); return }
        #expect(extensions["limit"]?.stringValue == "5")
        let reset = try #require(extensions["reset"]?.stringValue.flatMap(ISO8601.date(from:)), "\(over.text)")
        #expect(reset > Date() && reset < Date().addingTimeInterval(61))
        #expect(try await depot.request("GET", "/server/ping", headers: ["X-Forwarded-For": "203.0.113.10"]).status == 200, "another client")
    }
}
