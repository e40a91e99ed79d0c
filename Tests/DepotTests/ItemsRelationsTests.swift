import CMS
import Foundation
import Testing

/// o2m and m2m reads and writes, the number of queries a relational read costs, export formats and the
/// users collection — the same requests and answers on SQLite and on PostgreSQL.
@Suite struct ItemsRelationsTests {
    /// `articles` with an o2m `comments` and an m2m `tags` (junction `articles_tags`), created through the API.
    static func catalog(_ dialect: Dialect, _ environment: [String: String] = [:]) async throws -> (DepotProcess, TestDatabase, String)? {
        guard let (depot, test) = try await HTTPTests.server(dialect, environment) else { return nil }
        let token = try await depot.adminToken()
        func post(_ path: String, _ body: JSONValue) async throws { try await depot.expectOK("POST", path, body, token: token) }
        func collection(_ name: String, _ fields: [JSONValue]) async throws {
            try await post("/collections", .object([("collection", .string(name)), ("fields", .array(fields))]))
        }
        func field(_ name: String, _ type: String, _ schema: JSONValue = .null) -> JSONValue {
            .object([("field", .string(name)), ("type", .string(type)), ("schema", schema)])
        }
        try await collection("tags", [field("name", "string", .object([("is_unique", true)]))])
        try await collection("articles", [field("title", "string"), field("rank", "integer")])
        try await collection("comments", [field("body", "text"), field("stars", "integer"),
                                          field("article", "integer", .object([("foreign_key_table", "articles"), ("on_delete", "CASCADE")]))])
        try await collection("articles_tags", [field("articles_id", "integer", .object([("foreign_key_table", "articles"), ("on_delete", "CASCADE")])),
                                               field("tags_id", "integer", .object([("foreign_key_table", "tags"), ("on_delete", "CASCADE")]))])
        try await post("/relations", .object([("collection", "comments"), ("field", "article"), ("related_collection", "articles"),
                                              ("meta", .object([("one_field", "comments"), ("one_deselect_action", "delete")]))]))
        try await post("/relations", .object([("collection", "articles_tags"), ("field", "articles_id"), ("related_collection", "articles"),
                                              ("meta", .object([("one_field", "tags"), ("junction_field", "tags_id")]))]))
        try await post("/relations", .object([("collection", "articles_tags"), ("field", "tags_id"), ("related_collection", "tags"),
                                              ("meta", .object([("junction_field", "articles_id")]))]))
        try await post("/fields/articles", .object([("field", "comments"), ("type", "alias"), ("meta", .object([("special", .array(["o2m"]))]))]))
        try await post("/fields/articles", .object([("field", "tags"), ("type", "alias"), ("meta", .object([("special", .array(["m2m"]))]))]))
        try await post("/items/tags", .array([.object([("name", "swift")]), .object([("name", "sql")]), .object([("name", "http")])]))
        return (depot, test, token)
    }

    @Test(arguments: Dialect.allCases)
    func relationalReadsCostAConstantNumberOfQueries(dialect: Dialect) async throws {
        guard let (depot, test, token) = try await Self.catalog(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        // 100 articles, each with two comments and two tags, in one nested create.
        func article(_ n: Int) -> JSONValue {
            let comments: JSONValue = .array([.object([("body", .string("first on \(n)")), ("stars", .int(Int64(n % 5)))]),
                                              .object([("body", .string("second on \(n)")), ("stars", .int(5))])])
            let tags: JSONValue = .array([.object([("tags_id", .int(Int64(1 + n % 3)))]), .object([("tags_id", .int(Int64(1 + (n + 1) % 3)))])])
            return .object([("title", .string("Article \(n)")), ("rank", .int(Int64(n))), ("comments", comments), ("tags", tags)])
        }
        let articles = JSONValue.array((1...100).map(article))
        let created = try await depot.request("POST", "/items/articles?fields=id", json: articles, token: token)
        #expect(created.status == 200, "\(created.text)")
        guard case .array(let ids)? = created.json["data"] else { Issue.record("no ids"); return }
        #expect(ids.count == 100)

        let database = CountingDatabase(try await test.open())
        let items = ItemsService(database: database, schemas: SchemaCache(database: database))
        let admin = Accountability(admin: true)
        func read(limit: Int) async throws -> (JSONValue, Int) {
            let query = try QueryParser.parse(pairs: [("fields", "*,comments.*,tags.tags_id.*"), ("limit", String(limit)), ("sort", "id")])
            database.reset()
            let (data, _) = try await items.readMany("articles", query: query, accountability: admin)
            return (data, database.statements)
        }
        _ = try await read(limit: 1)   // builds the schema snapshot
        let (ten, tenQueries) = try await read(limit: 10)
        let (hundred, hundredQueries) = try await read(limit: 100)
        // Root, comments, junction rows with their tags joined: the same three statements for 10 and 100 items.
        #expect(tenQueries == 3 && hundredQueries == 3, "10 items: \(tenQueries) queries, 100 items: \(hundredQueries)")
        guard case .array(let rows) = hundred, case .array(let first10) = ten else { Issue.record("not arrays"); return }
        #expect(rows.count == 100 && first10.count == 10)
        let seventh = rows[6]
        #expect(seventh["title"] == "Article 7")
        #expect(seventh["comments"]?.arrayItems?.compactMap { $0["body"]?.stringValue }.sorted() == ["first on 7", "second on 7"])
        #expect(seventh["tags"]?.arrayItems?.compactMap { $0["tags_id"]?["name"]?.stringValue }.sorted() == ["http", "sql"])
        await database.close()
    }

    @Test(arguments: Dialect.allCases)
    func nestedWritesCreateUpdateLinkAndDelete(dialect: Dialect) async throws {
        guard let (depot, test, token) = try await Self.catalog(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        func send(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
            let reply = try await depot.request(method, path, json: body, token: token)
            #expect(reply.status == 200, "\(method) \(path): \(reply.text)")
            return (reply.json["data"] ?? .null).sortedKeys
        }
        let fields = "fields=title,comments.body,tags.tags_id.name&deep[comments][_sort]=body&deep[tags][_sort]=tags_id.name"
        let created = try await send("POST", "/items/articles?\(fields)", .object([
            ("title", "Nested"),
            ("comments", .array([.object([("body", "b")]), .object([("body", "a")])])),
            ("tags", .array([.object([("tags_id", .object([("name", "new")]))]), .object([("tags_id", .int(1))])])),
        ]))
        #expect(created == JSONValue.object([
            ("title", "Nested"),
            ("comments", .array([.object([("body", "a")]), .object([("body", "b")])])),
            ("tags", .array([.object([("tags_id", .object([("name", "new")]))]), .object([("tags_id", .object([("name", "swift")]))])])),
        ]).sortedKeys)

        // {create, update, delete}: one comment added, one changed, one removed (one_deselect_action = delete).
        let comments = try await send("GET", "/items/comments?fields=id,body&sort=body")
        let a = comments.arrayItems?.first?["id"] ?? .null, b = comments.arrayItems?.last?["id"] ?? .null
        let changed = try await send("PATCH", "/items/articles/1?\(fields)", .object([("comments", .object([
            ("create", .array([.object([("body", "c")])])), ("update", .array([.object([("id", a), ("body", "a2")])])), ("delete", .array([b])),
        ]))]))
        #expect(changed["comments"] == JSONValue.array([.object([("body", "a2")]), .object([("body", "c")])]))
        #expect(try await send("GET", "/items/comments?fields=body&sort=body") == .array([.object([("body", "a2")]), .object([("body", "c")])]))

        // An o2m array replaces the set; an m2o object with a key updates the related item.
        let replaced = try await send("PATCH", "/items/articles/1?\(fields)", .object([("comments", .array([.object([("body", "only")])]))]))
        #expect(replaced["comments"] == JSONValue.array([.object([("body", "only")])]))
        let linked = try await send("POST", "/items/comments?fields=body,article.title", .object([
            ("body", "linked"), ("article", .object([("id", .int(1)), ("title", "Renamed")])),
        ]))
        #expect(linked == JSONValue.object([("body", "linked"), ("article", .object([("title", "Renamed")]))]).sortedKeys)

        // A failing nested write changes nothing: the duplicate tag name rolls back the article too.
        let failing = try await depot.request("POST", "/items/articles", json: .object([
            ("title", "Never"), ("tags", .array([.object([("tags_id", .object([("name", "swift")]))])])),
        ]), token: token)
        #expect(failing.status == 400 && failing.errorCode == "RECORD_NOT_UNIQUE")
        #expect(try await send("GET", "/items/articles?filter[title][_eq]=Never&aggregate[count]=*") == .array([.object([("count", "0")])]))

        // Deleting the article cascades to its comments and junction rows.
        #expect(try await depot.request("DELETE", "/items/articles/1", token: token).status == 204)
        #expect(try await send("GET", "/items/comments?aggregate[count]=*") == .array([.object([("count", "0")])]))
        #expect(try await send("GET", "/items/articles_tags?aggregate[count]=*") == .array([.object([("count", "0")])]))
    }

    @Test(arguments: Dialect.allCases)
    func exportsAreDownloadsInEachFormat(dialect: Dialect) async throws {
        guard let (depot, test, token) = try await Self.catalog(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        _ = try await depot.request("POST", "/items/articles", json: .array([
            .object([("title", "Tom & \"Jerry\", <b>"), ("rank", .int(1)), ("comments", .array([.object([("body", "x")])]))]),
            .object([("title", "12"), ("rank", .null)]),
        ]), token: token)
        func export(_ format: String) async throws -> DepotProcess.Reply {
            let reply = try await depot.request("GET", "/items/articles?fields=id,title,rank,comments.body&sort=id&export=\(format)", token: token)
            #expect(reply.status == 200, "\(format): \(reply.text)")
            #expect(reply.header("content-disposition")?.hasPrefix("attachment; filename=\"articles ") == true)
            #expect(reply.header("content-disposition")?.hasSuffix(".\(format)\"") == true)
            return reply
        }
        let json = try await export("json")
        #expect(json.header("content-type")?.hasPrefix("application/json") == true)
        #expect(json.json.sortedKeys == JSONValue.array([
            .object([("id", .int(1)), ("title", "Tom & \"Jerry\", <b>"), ("rank", .int(1)), ("comments", .array([.object([("body", "x")])]))]),
            .object([("id", .int(2)), ("title", "12"), ("rank", .null), ("comments", .array([]))]),
        ]).sortedKeys)

        let csv = try await export("csv")
        #expect(csv.header("content-type")?.hasPrefix("text/csv") == true)
        #expect(csv.text == "id,title,rank,comments\n1,\"Tom & \"\"Jerry\"\", <b>\",1,\"[{\"\"body\"\":\"\"x\"\"}]\"\n2,12,,[]")

        let yaml = try await export("yaml")
        #expect(yaml.header("content-type")?.hasPrefix("text/yaml") == true)
        #expect(yaml.text == """
            - id: 1
              title: Tom & "Jerry", <b>
              rank: 1
              comments:
              - body: x
            - id: 2
              title: '12'
              rank: null
              comments: []

            """)

        let xml = try await export("xml")
        #expect(xml.header("content-type")?.hasPrefix("text/xml") == true)
        #expect(xml.text.contains("<data>\n  <data>\n    <id>1</id>\n    <title>Tom &amp; \"Jerry\", &lt;b&gt;</title>"))
        #expect(xml.text.contains("<comments>\n      <body>x</body>\n    </comments>"))
        #expect(xml.text.contains("<rank></rank>") || xml.text.contains("<rank/>"))

        let bad = try await depot.request("GET", "/items/articles?export=pdf", token: token)
        #expect(bad.status == 400 && bad.errorCode == "INVALID_QUERY")
    }

    @Test(arguments: Dialect.allCases)
    func usersAndFilesUseTheQueryLanguage(dialect: Dialect) async throws {
        guard let (depot, test, token) = try await Self.catalog(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        let users = try await depot.request("GET", "/users?fields=email,password,role.name&filter[email][_ends_with]=example.com&meta=filter_count", token: token)
        #expect(users.status == 200, "\(users.text)")
        #expect(users.json["data"]?.sortedKeys == JSONValue.array([.object([("email", "admin@example.com"), ("password", "**********"),
                                                                            ("role", .object([("name", "Administrator")]))])]).sortedKeys)
        #expect(users.json["meta"]?["filter_count"] == .int(1))
        // A hash can't be probed one prefix at a time.
        let probe = try await depot.request("GET", "/users?filter[password][_starts_with]=$argon2", token: token)
        #expect(probe.status == 400 && probe.errorCode == "INVALID_QUERY")
        let search = try await depot.request("SEARCH", "/users", json: .object([("query", .object([("fields", .array(["email"])), ("search", "admin")]))]), token: token)
        #expect(search.json["data"] == .array([.object([("email", "admin@example.com")])]))
        let files = try await depot.request("GET", "/files?fields=id,uploaded_by.email&meta=total_count", token: token)
        #expect(files.status == 200 && files.json["meta"]?["total_count"] == .int(0))
    }
}
