import CMS
import Foundation
import Testing

/// Schema changes while items exist, relations added to existing columns, and tables made outside Depot —
/// the same requests and answers on SQLite and on PostgreSQL.
@Suite struct SchemaHTTPTests {
    @Test(arguments: Dialect.allCases)
    func fieldsChangeWhileItemsExist(dialect: Dialect) async throws {
        guard let (depot, test, token) = try await ItemsHTTPTests.blog(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        func patch(_ field: String, _ body: JSONValue) async throws -> DepotProcess.Reply {
            try await depot.request("PATCH", "/fields/articles/\(field)", json: body, token: token)
        }
        func rows(_ fields: String) async throws -> JSONValue {
            (try await depot.request("GET", "/items/articles?fields=\(fields)&sort=id", token: token).json["data"] ?? .null).sortedKeys
        }
        let before = try await rows("id,title,views,author.name")

        // integer → bigInteger, a default and NOT NULL on a column without nulls: the values stay.
        let views = try await patch("views", .object([("type", "bigInteger"), ("schema", .object([("is_nullable", false), ("default_value", .int(0))])),
                                                      ("meta", .object([("note", "Page views")]))]))
        #expect(views.status == 200, "\(views.text)")
        #expect(views.json["data"]?["type"] == "bigInteger")
        #expect(views.json["data"]?["schema"]?["is_nullable"] == false && views.json["data"]?["schema"]?["default_value"] == .int(0))
        #expect(views.json["data"]?["meta"]?["note"] == "Page views")
        #expect(try await rows("id,title,views,author.name") == before)
        let created = try await depot.request("POST", "/items/articles?fields=views", json: .object([("title", "Defaulted")]), token: token)
        #expect(created.json["data"] == .object([("views", .int(0))]))

        // Unique on a column with distinct values; then a duplicate is refused.
        #expect(try await patch("title", .object([("schema", .object([("is_unique", true)]))])).status == 200)
        #expect(try await depot.request("GET", "/fields/articles/title", token: token).json["data"]?["schema"]?["is_unique"] == true)
        let duplicate = try await depot.request("POST", "/items/articles", json: .object([("title", "Hello")]), token: token)
        #expect(duplicate.errorCode == "RECORD_NOT_UNIQUE")

        // Changes the stored values can't take are refused, and nothing changes.
        let notNull = try await patch("published_on", .object([("schema", .object([("is_nullable", false)]))]))
        #expect(notNull.status == 400 && notNull.errorCode == "NOT_NULL_VIOLATION", "\(notNull.text)")
        let tooShort = try await patch("title", .object([("schema", .object([("max_length", .int(3))]))]))
        #expect(tooShort.status == 400 && tooShort.errorCode == "VALUE_TOO_LONG", "\(tooShort.text)")
        let notNumbers = try await patch("title", .object([("type", "integer")]))
        #expect(notNumbers.status == 400 && notNumbers.errorCode == "INVALID_PAYLOAD", "\(notNumbers.text)")
        let field = try await depot.request("GET", "/fields/articles/title", token: token).json["data"]
        #expect(field?["type"] == "string" && field?["schema"]?["max_length"] == .int(255))
        #expect(try await rows("id,title,views,author.name").arrayItems?.prefix(3).map { $0 } == before.arrayItems)
        #expect(try await patch("id", .object([("schema", .object([("is_primary_key", false)]))])).status == 400)
        #expect(try await patch("nothing", .object([("type", "text")])).status == 403)

        // The m2o survives a rebuild of its table (SQLite) and still cascades as declared.
        #expect(try await rows("title,author.name").arrayItems?.first == JSONValue.object([("title", "Hello"), ("author", .object([("name", "Ada")]))]).sortedKeys)
        let badAuthor = try await depot.request("PATCH", "/items/articles/1", json: .object([("author", .int(99))]), token: token)
        #expect(badAuthor.errorCode == "INVALID_FOREIGN_KEY")
    }

    @Test(arguments: Dialect.allCases)
    func relationsAddForeignKeysToExistingColumns(dialect: Dialect) async throws {
        guard let (depot, test, token) = try await ItemsHTTPTests.blog(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        func send(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> DepotProcess.Reply {
            try await depot.request(method, path, json: body, token: token)
        }
        #expect(try await send("POST", "/collections", .object([("collection", "notes"), ("fields", .array([
            .object([("field", "text"), ("type", "string")]), .object([("field", "article"), ("type", "integer")]),
        ]))])).status == 200)
        #expect(try await send("POST", "/items/notes", .array([.object([("text", "on 1"), ("article", .int(1))]),
                                                               .object([("text", "on 2"), ("article", .int(2))])])).status == 200)
        let relation = try await send("POST", "/relations", .object([("collection", "notes"), ("field", "article"), ("related_collection", "articles"),
                                                                     ("schema", .object([("on_delete", "CASCADE")]))]))
        #expect(relation.status == 200, "\(relation.text)")
        #expect(relation.json["data"]?["schema"]?["on_delete"] == "CASCADE")
        #expect(try await send("GET", "/items/notes?fields=text,article.title&sort=id").json["data"] == .array([
            .object([("article", .object([("title", "Hello")])), ("text", "on 1")]), .object([("article", .object([("title", "World")])), ("text", "on 2")]),
        ]))
        #expect(try await send("POST", "/items/notes", .object([("article", .int(99))])).errorCode == "INVALID_FOREIGN_KEY")
        #expect(try await send("DELETE", "/items/articles/1").status == 204)
        #expect(try await send("GET", "/items/notes?fields=text").json["data"] == .array([.object([("text", "on 2")])]))

        // PATCH: CASCADE becomes SET NULL, metadata changes; DELETE removes the constraint, the values stay.
        let patched = try await send("PATCH", "/relations/notes/article", .object([("schema", .object([("on_delete", "SET NULL")])),
                                                                                     ("meta", .object([("one_deselect_action", "delete")]))]))
        #expect(patched.status == 200, "\(patched.text)")
        #expect(patched.json["data"]?["schema"]?["on_delete"] == "SET NULL" && patched.json["data"]?["meta"]?["one_deselect_action"] == "delete")
        #expect(try await send("DELETE", "/items/articles/2").status == 204)
        #expect(try await send("GET", "/items/notes?fields=text,article").json["data"] == .array([.object([("article", .null), ("text", "on 2")])]))
        #expect(try await send("PATCH", "/relations/notes/article", .object([("schema", .object([("on_delete", "EXPLODE")]))])).status == 400)
        #expect(try await send("DELETE", "/relations/notes/article").status == 204)
        #expect(try await send("GET", "/relations/notes/article").status == 403)
        #expect(try await send("PATCH", "/items/notes?fields=text", .object([("keys", .array([.int(2)])), ("data", .object([("article", .int(99))]))])).status == 200)

        // A relation on a column whose values point nowhere is refused, and the column stays as it was.
        // (PostgreSQL's sequence moved on with the refused insert above: the key is read back, not assumed.)
        let orphanKey = try await send("POST", "/items/notes?fields=id", .object([("text", "orphan")])).json["data"]?["id"] ?? .null
        #expect(try await send("POST", "/fields/notes", .object([("field", "author"), ("type", "integer")])).status == 200)
        let pointsNowhere = try await send("PATCH", "/items/notes?fields=author", .object([("keys", .array([orphanKey])), ("data", .object([("author", .int(77))]))]))
        #expect(pointsNowhere.json["data"] == .array([.object([("author", .int(77))])]), "\(pointsNowhere.text)")
        let orphan = try await send("POST", "/relations", .object([("collection", "notes"), ("field", "author"), ("related_collection", "authors")]))
        #expect(orphan.status == 400 && orphan.errorCode == "INVALID_FOREIGN_KEY", "\(orphan.status) \(orphan.text)")
        #expect(try await send("GET", "/relations/notes").json["data"] == .array([]), "the refused relation left nothing behind")
    }

    @Test(arguments: Dialect.allCases)
    func tablesMadeWithPlainSQLAreCollections(dialect: Dialect) async throws {
        guard let test = try await TestDatabase.make(dialect) else { return }
        // Migrations first (a server start), then tables created outside Depot, then a fresh server.
        let first = try await DepotProcess.start(test.environment)
        await first.stop()
        let db = try await test.open()
        let key = dialect == .postgres ? "serial PRIMARY KEY" : "integer PRIMARY KEY"
        try await db.execute("CREATE TABLE publishers (id \(key), name varchar(80) NOT NULL UNIQUE, founded date)")
        try await db.execute("CREATE TABLE books (id \(key), title text NOT NULL, pages integer DEFAULT 100, price decimal(8, 2), publisher integer REFERENCES publishers (id) ON DELETE CASCADE)")
        try await db.execute("INSERT INTO publishers (name, founded) VALUES ('Penguin', '1935-07-30'), ('Faber', '1929-01-01')")
        try await db.execute("INSERT INTO books (title, price, publisher) VALUES ('Ulysses', 12.5, 2), ('Orlando', 9, 1)")
        await db.close()
        let depot = try await DepotProcess.start(test.environment)
        defer { Task { await depot.stop(); await test.drop() } }
        let token = try await depot.adminToken()
        func data(_ path: String) async throws -> JSONValue {
            let reply = try await depot.request("GET", path, token: token)
            #expect(reply.status == 200, "\(path): \(reply.text)")
            return (reply.json["data"] ?? .null).sortedKeys
        }
        #expect(try await data("/collections/books") == JSONValue.object([("collection", "books"), ("meta", .null), ("schema", .object([("name", "books")]))]).sortedKeys)
        let fields = try await data("/fields/books")
        let summary = fields.arrayItems?.map { field -> String in
            let schema = field["schema"]
            return "\(field["field"]?.stringValue ?? "") \(field["type"]?.stringValue ?? "") pk=\(schema?["is_primary_key"] == true) null=\(schema?["is_nullable"] == true) default=\(schema?["default_value"].map { String(decoding: $0.serialized(), as: UTF8.self) } ?? "-")"
        }
        #expect(summary == ["id integer pk=true null=false default=null", "title text pk=false null=false default=null",
                            "pages integer pk=false null=true default=100", "price decimal pk=false null=true default=null",
                            "publisher integer pk=false null=true default=null"])
        #expect(try await data("/fields/publishers/name")["schema"]?["is_unique"] == true)
        let relations = try await data("/relations/books")
        #expect(relations.arrayItems?.count == 1)
        #expect(relations.arrayItems?.first?["related_collection"] == "publishers" && relations.arrayItems?.first?["meta"] == .null)
        #expect(relations.arrayItems?.first?["schema"]?["on_delete"] == "CASCADE")

        #expect(try await data("/items/books?fields=title,price,pages,publisher.name,publisher.founded&sort=publisher.name") == JSONValue.array([
            .object([("title", "Ulysses"), ("price", "12.50"), ("pages", .int(100)), ("publisher", .object([("name", "Faber"), ("founded", "1929-01-01")]))]),
            .object([("title", "Orlando"), ("price", "9.00"), ("pages", .int(100)), ("publisher", .object([("name", "Penguin"), ("founded", "1935-07-30")]))]),
        ]).sortedKeys)
        #expect(try await data("/items/books?fields=title&filter[publisher][name][_eq]=Penguin") == .array([.object([("title", "Orlando")])]))
        let created = try await depot.request("POST", "/items/books?fields=id,title,pages", json: .object([("title", "Emma"), ("publisher", .int(1))]), token: token)
        #expect(created.json["data"] == JSONValue.object([("id", .int(3)), ("title", "Emma"), ("pages", .int(100))]).sortedKeys)
        #expect(try await depot.request("POST", "/items/books", json: .object([("title", "Nowhere"), ("publisher", .int(9))]), token: token).errorCode == "INVALID_FOREIGN_KEY")
        #expect(try await depot.request("DELETE", "/items/publishers/1", token: token).status == 204)
        #expect(try await data("/items/books?fields=title") == .array([.object([("title", "Ulysses")])]))
    }
}
