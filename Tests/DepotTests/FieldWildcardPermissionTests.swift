import CMS
import Foundation
import Testing

/// `*` under a read rule that lists some fields: the permitted fields only — the primary key too is left out
/// when the rule does not list it — never FORBIDDEN; a forbidden field asked for by name stays FORBIDDEN. On
/// lists, single items, SEARCH, relational wildcards, writes re-read for their answer, and system collections.
@Suite struct FieldWildcardPermissionTests {
    struct World {
        let depot: DepotProcess
        let test: TestDatabase
        let admin: String
        /// The limited caller's static token.
        let reader = "reader-token"
        var readerID = ""
        var articles: [String: String] = [:]

        func send(_ method: String, _ path: String, _ body: JSONValue? = nil, as token: String? = nil) async throws -> DepotProcess.Reply {
            try await depot.request(method, path, json: body, token: token ?? reader)
        }
        /// `data` of a GET that must answer 200.
        func data(_ path: String, as token: String? = nil) async throws -> JSONValue {
            try await data("GET", path, nil, as: token)
        }
        func data(_ method: String, _ path: String, _ body: JSONValue?, as token: String? = nil) async throws -> JSONValue {
            let reply = try await send(method, path, body, as: token)
            #expect(reply.status == 200, "\(method) \(path): \(reply.status) \(reply.text)")
            return reply.json["data"] ?? .null
        }
        func stop() async {
            await depot.stop()
            await test.drop()
        }
    }

    /// The `articles`/`comments`/`tags` catalog, three articles with comments, and a reader whose rules list
    /// fields but never a primary key.
    static func world(_ dialect: Dialect) async throws -> World? {
        guard let (depot, test, admin) = try await ItemsRelationsTests.catalog(dialect) else { return nil }
        var world = World(depot: depot, test: test, admin: admin)
        func post(_ path: String, _ body: JSONValue) async throws -> String {
            let reply = try await depot.request("POST", path + "?fields=id", json: body, token: admin)
            #expect(reply.status == 200, "\(path): \(reply.text)")
            return CollectionStore.keyText(reply.json["data"]?["id"] ?? .null) ?? ""
        }
        // Inserted out of title order: the default order of the reader's lists is by title, the first field it may read.
        for (title, rank) in [("Mango", 2), ("Zebra", 3), ("Apple", 1)] {
            world.articles[title] = try await post("/items/articles", .object([
                ("title", .string(title)), ("rank", .int(Int64(rank))),
                ("comments", .array([.object([("body", .string("on \(title)")), ("stars", .int(Int64(rank)))])])),
            ]))
        }
        world.readerID = try await post("/users", .object([("email", "reader@example.com"), ("password", "reader-password"),
                                                           ("first_name", "Rita"), ("token", .string(world.reader))]))
        let policy = try await post("/policies", .object([("name", "Field-limited reader")]))
        _ = try await post("/access", .object([("policy", .string(policy)), ("user", .string(world.readerID))]))
        func rule(_ collection: String, _ action: String, _ fields: [String]) -> JSONValue {
            .object([("policy", .string(policy)), ("collection", .string(collection)), ("action", .string(action)),
                     ("fields", .array(fields.map(JSONValue.string)))])
        }
        for body in [rule("articles", "read", ["title", "rank", "comments"]), rule("articles", "update", ["rank"]),
                     rule("comments", "read", ["body", "article"]), rule("directus_users", "read", ["first_name", "email"])] {
            _ = try await post("/permissions", body)
        }
        return world
    }

    @Test(arguments: Dialect.allCases)
    func wildcardsReadThePermittedFieldsOnly(dialect: Dialect) async throws {
        guard let w = try await Self.world(dialect) else { return }
        let apple = w.articles["Apple"]!
        // Lists, with `fields` absent or `*`: no `id`, and no `comments` (the comments' keys are hidden too).
        for path in ["/items/articles", "/items/articles?fields=*", "/items/articles?fields%5B%5D=*"] {
            let rows = try await w.data(path).arrayItems ?? []
            #expect(rows.map { $0.objectKeys?.sorted() ?? [] } == Array(repeating: ["rank", "title"], count: 3), "\(path): \(rows)")
            #expect(rows.compactMap { $0["title"]?.stringValue } == ["Apple", "Mango", "Zebra"], "\(path): ordered by the first readable field")
        }
        // Single items and SEARCH (by query and by keys).
        #expect(try await w.data("/items/articles/\(apple)").sortedKeys == JSONValue.object([("rank", .int(1)), ("title", "Apple")]).sortedKeys)
        #expect(try await w.data("/items/articles/\(apple)?fields=title") == .object([("title", "Apple")]))
        let searched = try await w.data("SEARCH", "/items/articles", .object([("query", .object([("fields", .array(["*"])), ("filter", .object([("rank", .object([("_gte", .int(2))]))]))]))]))
        #expect(searched.arrayItems?.compactMap { $0["title"]?.stringValue } == ["Mango", "Zebra"] && searched.arrayItems?.allSatisfy { $0["id"] == nil } == true, "\(searched)")
        let byKeys = try await w.data("SEARCH", "/items/articles", .object([("keys", .array([.string(apple)])), ("query", .object([]))]))
        #expect(byKeys.sortedKeys == JSONValue.array([.object([("rank", .int(1)), ("title", "Apple")])]).sortedKeys)
        // Relational wildcards reach the related collection's permitted fields.
        let nested = try await w.data("/items/articles?fields=*.*&filter%5Btitle%5D%5B_eq%5D=Apple").arrayItems?.first
        #expect(nested?.objectKeys?.sorted() == ["comments", "rank", "title"])
        #expect(nested?["comments"]?.arrayItems?.map { $0.objectKeys?.sorted() ?? [] } == [["article", "body"]])
        #expect(nested?["comments"]?.arrayItems?.first?["body"] == "on Apple")
        let parents = try await w.data("/items/comments?fields=body,article.*").arrayItems ?? []
        #expect(parents.count == 3 && parents.allSatisfy { $0["article"]?.objectKeys?.sorted() == ["rank", "title"] }, "\(parents)")
        #expect(try await w.data("/items/articles?fields=comments.*&filter%5Btitle%5D%5B_eq%5D=Zebra").sortedKeys
            == JSONValue.array([.object([("comments", .array([.object([("body", "on Zebra"), ("article", .int(Int64(w.articles["Zebra"]!)!))])]))])]).sortedKeys)

        // Asking for a forbidden field by name stays FORBIDDEN, wherever it is named.
        for path in ["/items/articles?fields=id", "/items/articles?fields=title,id", "/items/articles?sort=id",
                     "/items/articles?filter%5Bid%5D%5B_eq%5D=1", "/items/articles?fields=comments.id", "/items/comments?fields=article.id",
                     "/items/articles/\(apple)?fields=id", "/users?fields=id", "/users?fields=password"] {
            let reply = try await w.send("GET", path)
            #expect(reply.status == 403 && reply.errorCode == "FORBIDDEN", "\(path): \(reply.status) \(reply.text)")
        }

        // System collections: /users, /users/:id and /users/me give the permitted fields.
        let users = try await w.data("/users").arrayItems ?? []
        #expect(!users.isEmpty && users.allSatisfy { $0.objectKeys?.sorted() == ["email", "first_name"] }, "\(users)")
        #expect(try await w.data("/users/\(w.readerID)").sortedKeys == JSONValue.object([("email", "reader@example.com"), ("first_name", "Rita")]).sortedKeys)
        #expect(try await w.data("/users/me").sortedKeys == JSONValue.object([("email", "reader@example.com"), ("first_name", "Rita")]).sortedKeys)

        // The administrator still sees everything.
        #expect(try await w.data("/items/articles/\(apple)", as: w.admin)["id"] != nil)
        await w.stop()
    }

    @Test(arguments: Dialect.allCases)
    func writesAnswerWithThePermittedFields(dialect: Dialect) async throws {
        guard let w = try await Self.world(dialect) else { return }
        let mango = w.articles["Mango"]!
        // A write re-read for its answer: the fields the caller may read, not an empty 204.
        let one = try await w.send("PATCH", "/items/articles/\(mango)", .object([("rank", .int(7))]))
        #expect(one.status == 200 && one.json["data"]?.sortedKeys == JSONValue.object([("rank", .int(7)), ("title", "Mango")]).sortedKeys,
                "\(one.status) \(one.text)")
        // A batch by query names its items by key, though the caller can't read the key.
        let batch = try await w.send("PATCH", "/items/articles", .object([
            ("query", .object([("filter", .object([("rank", .object([("_lte", .int(3))]))]))])), ("data", .object([("rank", .int(9))])),
        ]))
        #expect(batch.status == 200, "\(batch.text)")
        #expect(batch.json["data"]?.arrayItems?.compactMap { $0["title"]?.stringValue }.sorted() == ["Apple", "Zebra"], "\(batch.text)")
        let ranks = try await w.data("/items/articles?fields=title,rank&sort=title", as: w.admin)
        #expect(ranks.sortedKeys == JSONValue.array([.object([("rank", .int(9)), ("title", "Apple")]), .object([("rank", .int(7)), ("title", "Mango")]),
                                                     .object([("rank", .int(9)), ("title", "Zebra")])]))
        await w.stop()
    }
}
