import CMS
import Foundation
import Testing

/// Constraint violations answered in Directus's envelope naming the collection and the field — on SQLite, whose
/// foreign-key errors name neither, as on PostgreSQL — for items created and updated one at a time and in batches.
@Suite struct ConstraintErrorsTests {
    @Test(arguments: Dialect.allCases)
    func violationsNameTheirField(dialect: Dialect) async throws {
        guard let (depot, test) = try await HTTPTests.server(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        let token = try await depot.adminToken()
        func send(_ method: String, _ path: String, _ body: JSONValue) async throws -> DepotProcess.Reply {
            try await depot.request(method, path, json: body, token: token)
        }
        func field(_ name: String, _ type: String, references table: String? = nil) -> JSONValue {
            .object([("field", .string(name)), ("type", .string(type)),
                     ("schema", table.map { .object([("foreign_key_table", .string($0)), ("foreign_key_column", "id")]) } ?? .null)])
        }
        for (name, fields) in [("people", [field("name", "string")]), ("publishers", [field("name", "string")]),
                               ("books", [field("title", "string"), field("author", "integer", references: "people"),
                                          field("publisher", "integer", references: "publishers")])] {
            try await depot.expectOK("POST", "/collections", .object([("collection", .string(name)), ("fields", .array(fields))]), token: token)
        }
        // A unique field added through /fields (its index is named by Depot, not after the column alone).
        try await depot.expectOK("POST", "/fields/people", .object([("field", "email"), ("type", "string"), ("schema", .object([("is_unique", true)]))]), token: token)
        try await depot.expectOK("POST", "/items/people", .array([.object([("name", "Ada"), ("email", "ada@example.com")]),
                                                                  .object([("name", "Grace"), ("email", "grace@example.com")])]), token: token)
        try await depot.expectOK("POST", "/items/publishers", .object([("name", "Press")]), token: token)
        try await depot.expectOK("POST", "/items/books", .object([("title", "One"), ("author", .int(1)), ("publisher", .int(1))]), token: token)

        func expect(_ reply: DepotProcess.Reply, _ code: String, collection: String, field: String, message: String,
                    sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(reply.status == 400, "\(reply.text)", sourceLocation: sourceLocation)
            guard case .array(let errors)? = reply.json["errors"], errors.count == 1, let error = errors.first else {
                Issue.record("not one error: \(reply.text)", sourceLocation: sourceLocation)
                return
            }
            #expect(error["message"]?.stringValue == message, "\(reply.text)", sourceLocation: sourceLocation)
            #expect(error["extensions"]?["code"]?.stringValue == code, sourceLocation: sourceLocation)
            #expect(error["extensions"]?["collection"]?.stringValue == collection, sourceLocation: sourceLocation)
            #expect(error["extensions"]?["field"]?.stringValue == field, "\(reply.text)", sourceLocation: sourceLocation)
        }
        func foreignKey(_ reply: DepotProcess.Reply, _ field: String, sourceLocation: SourceLocation = #_sourceLocation) {
            expect(reply, "INVALID_FOREIGN_KEY", collection: "books", field: field,
                   message: "Invalid foreign key for field \"\(field)\" in collection \"books\".", sourceLocation: sourceLocation)
        }
        func unique(_ reply: DepotProcess.Reply, sourceLocation: SourceLocation = #_sourceLocation) {
            expect(reply, "RECORD_NOT_UNIQUE", collection: "people", field: "email",
                   message: "Value for field \"email\" in collection \"people\" has to be unique.", sourceLocation: sourceLocation)
        }

        // Of two foreign keys, the one whose value points nowhere is named.
        foreignKey(try await send("POST", "/items/books", .object([("title", "Two"), ("author", .int(1)), ("publisher", .int(99))])), "publisher")
        foreignKey(try await send("POST", "/items/books", .object([("title", "Two"), ("author", .int(99)), ("publisher", .int(1))])), "author")
        foreignKey(try await send("POST", "/items/books", .array([.object([("title", "Fine"), ("author", .int(2))]),
                                                                   .object([("title", "Bad"), ("publisher", .int(99))])])), "publisher")
        foreignKey(try await send("PATCH", "/items/books/1", .object([("author", .int(99))])), "author")
        foreignKey(try await send("PATCH", "/items/books", .object([("keys", .array([.int(1)])), ("data", .object([("publisher", .int(99))]))])), "publisher")
        foreignKey(try await send("PATCH", "/items/books", .array([.object([("id", .int(1)), ("title", "Changed"), ("author", .int(99))])])), "author")

        unique(try await send("POST", "/items/people", .object([("name", "Copy"), ("email", "ada@example.com")])))
        unique(try await send("POST", "/items/people", .array([.object([("name", "New"), ("email", "new@example.com")]),
                                                                .object([("name", "Copy"), ("email", "grace@example.com")])])))
        unique(try await send("PATCH", "/items/people/2", .object([("email", "ada@example.com")])))
        unique(try await send("PATCH", "/items/people", .object([("keys", .array([.int(2)])), ("data", .object([("email", "ada@example.com")]))])))
        unique(try await send("PATCH", "/items/people", .array([.object([("id", .int(2)), ("email", "ada@example.com")])])))

        // A relation added over values that point nowhere names the column too.
        try await depot.expectOK("POST", "/collections", .object([("collection", "notes"), ("fields", .array([field("text", "string"), field("person", "integer")]))]), token: token)
        try await depot.expectOK("POST", "/items/notes", .object([("text", "orphan"), ("person", .int(77))]), token: token)
        expect(try await send("POST", "/relations", .object([("collection", "notes"), ("field", "person"), ("related_collection", "people")])),
               "INVALID_FOREIGN_KEY", collection: "notes", field: "person", message: "Invalid foreign key for field \"person\" in collection \"notes\".")

        // Nothing of a refused batch was written.
        let books = try await depot.request("GET", "/items/books?fields=title,author,publisher", token: token)
        #expect(books.json["data"]?.sortedKeys == JSONValue.array([.object([("title", "One"), ("author", .int(1)), ("publisher", .int(1))])]).sortedKeys, "\(books.text)")
        let people = try await depot.request("GET", "/items/people?fields=email&sort=id", token: token)
        #expect(people.json["data"] == .array([.object([("email", "ada@example.com")]), .object([("email", "grace@example.com")])]), "\(people.text)")
    }
}
