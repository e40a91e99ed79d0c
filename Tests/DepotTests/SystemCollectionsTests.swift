import CMS
import Database
import Foundation
import Testing

/// `/translations`, `/presets`, `/comments`, `/notifications` and `/shares`: Directus 11's tables (their schema is
/// checked with the others in DirectusSchemaTests), served with the items routes, the query language and the
/// caller's permissions — on SQLite and PostgreSQL.
@Suite struct SystemCollectionsTests {
    /// Query parameters as clients send them: each value percent-encoded.
    static func query(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return pairs.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&")
    }

    @Test(arguments: Dialect.allCases)
    func translationsAreCreatedAndReadAsPyDirectusDoes(dialect: Dialect) async throws {
        guard let (depot, test) = try await HTTPTests.server(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        let admin = try await depot.adminToken()
        for (key, language, value) in [("greeting", "en-US", "Hello"), ("greeting", "fr-FR", "Bonjour"), ("farewell", "en-US", "Goodbye")] {
            let made = try await depot.request("POST", "/translations", json: .object([("key", .string(key)), ("language", .string(language)), ("value", .string(value))]), token: admin)
            #expect(made.status == 200, "\(made.text)")
            #expect(made.json["data"]?["id"]?.stringValue?.count == 36 && made.json["data"]?["value"] == .string(value))
        }
        let filter = #"{"key":{"_eq":"greeting"}}"#
        let read = try await depot.request("GET", "/translations?" + Self.query([("filter", filter), ("sort", "language"), ("fields", "key,language,value")]), token: admin)
        #expect(read.status == 200, "\(read.text)")
        #expect(keyed(read.json["data"]) == keyed(JSONValue.array([
            .object([("key", "greeting"), ("language", "en-US"), ("value", "Hello")]),
            .object([("key", "greeting"), ("language", "fr-FR"), ("value", "Bonjour")]),
        ])))
        // py-directus reads with SEARCH, its query in the body (`fields` as one comma list).
        let pyDirectus = try await depot.request("SEARCH", "/translations", json: .object([("query", .object([
            ("filter", .object([("key", .object([("_eq", "farewell")]))])), ("fields", "key,value"), ("sort", .array(["language"])), ("limit", .int(-1)),
        ]))]), token: admin)
        #expect(keyed(pyDirectus.json["data"]) == keyed(JSONValue.array([.object([("key", "farewell"), ("value", "Goodbye")])])), "\(pyDirectus.text)")
        let searched = try await depot.request("SEARCH", "/translations", json: .object([("query", .object([
            ("search", "bonj"), ("fields", .array(["value"])),
        ]))]), token: admin)
        #expect(keyed(searched.json["data"]) == keyed(JSONValue.array([.object([("value", "Bonjour")])])), "\(searched.text)")
        let count = try await depot.request("GET", "/translations?aggregate%5Bcount%5D=*&groupBy%5B%5D=language&sort=language", token: admin)
        #expect(count.json["data"]?.sortedKeys == JSONValue.array([.object([("language", "en-US"), ("count", "2")]), .object([("language", "fr-FR"), ("count", "1")])]).sortedKeys,
                "\(count.text)")
        let missing = try await depot.request("POST", "/translations", json: .object([("key", "x"), ("language", "en-US")]), token: admin)
        #expect(missing.status == 400 && missing.errorCode == "NOT_NULL_VIOLATION", "\(missing.text)")
    }

    @Test(arguments: Dialect.allCases)
    func commentsRecordWhoAndWhenAndNeedTheItem(dialect: Dialect) async throws {
        guard let (depot, test) = try await HTTPTests.server(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        let admin = try await depot.adminToken()
        try await depot.expectOK("POST", "/collections", .object([("collection", "articles"), ("fields", .array([
            .object([("field", "title"), ("type", "string")]),
        ]))]), token: admin)
        try await depot.expectOK("POST", "/items/articles", .array([.object([("title", "Open")]), .object([("title", "Hidden")])]), token: admin)
        let editor = try await depot.caller("editor", rules: [
            TestRule(collection: "articles", action: "read", filter: .object([("title", .object([("_eq", "Open")]))])),
            TestRule(collection: "directus_comments", action: "create"), TestRule(collection: "directus_comments", action: "read"),
            TestRule(collection: "directus_comments", action: "update"),
            TestRule(collection: "directus_users", action: "read", fields: ["id", "first_name"]),
        ], admin: admin)

        let made = try await depot.request("POST", "/comments", json: .object([("collection", "articles"), ("item", .int(1)), ("comment", "Nice")]), token: editor.token)
        #expect(made.status == 200, "\(made.text)")
        let comment = made.json["data"] ?? .null
        #expect(comment["user_created"] == .string(editor.id) && comment["item"] == "1")
        #expect(comment["date_created"]?.stringValue?.hasSuffix("Z") == true && comment["user_updated"] == .null)
        let id = comment["id"]?.stringValue ?? ""

        let edited = try await depot.request("PATCH", "/comments/\(id)?fields=comment,user_updated,date_updated", json: .object([("comment", "Nicer")]), token: editor.token)
        #expect(edited.json["data"]?["comment"] == "Nicer" && edited.json["data"]?["user_updated"] == .string(editor.id), "\(edited.text)")
        #expect(edited.json["data"]?["date_updated"]?.stringValue != nil)

        // Directus's own checks: the three fields, and an item the caller may read.
        let noComment = try await depot.request("POST", "/comments", json: .object([("collection", "articles"), ("item", "1"), ("comment", "")]), token: editor.token)
        #expect(noComment.status == 400 && noComment.errorCode == "INVALID_PAYLOAD" && noComment.text.contains("\\\"comment\\\" is required"), "\(noComment.text)")
        let hidden = try await depot.request("POST", "/comments", json: .object([("collection", "articles"), ("item", "2"), ("comment", "Psst")]), token: editor.token)
        #expect(hidden.status == 403 && hidden.errorCode == "FORBIDDEN", "\(hidden.text)")
        let nowhere = try await depot.request("POST", "/comments", json: .object([("collection", "nothing"), ("item", "1"), ("comment", "?")]), token: editor.token)
        #expect(nowhere.status == 403)
        let listed = try await depot.request("GET", "/comments?" + Self.query([("filter", #"{"collection":{"_eq":"articles"}}"#), ("fields", "comment,user_created.first_name")]), token: editor.token)
        #expect(keyed(listed.json["data"]) == keyed(JSONValue.array([.object([("comment", "Nicer"), ("user_created", .object([("first_name", "editor")]))])])), "\(listed.text)")

        // Deleting the user who edited a comment and sent a notification: Directus clears both references first.
        try await depot.expectOK("POST", "/notifications", .object([("recipient", .string(editor.id)), ("sender", .string(editor.id)), ("subject", "Hi")]), token: admin)
        let deleted = try await depot.request("DELETE", "/users/\(editor.id)", token: admin)
        #expect(deleted.status == 204, "\(deleted.text)")
        let after = try await depot.request("GET", "/comments/\(id)?fields=user_created,user_updated", token: admin)
        #expect(keyed(after.json["data"]) == keyed(JSONValue.object([("user_created", .null), ("user_updated", .null)])), "\(after.text)")
        #expect(try await depot.request("GET", "/notifications?aggregate%5Bcount%5D=*", token: admin).json["data"] == .array([.object([("count", "0")])]),
                "the recipient's notifications go with it (CASCADE)")
    }

    @Test(arguments: Dialect.allCases)
    func presetsNotificationsAndSharesFollowDirectus(dialect: Dialect) async throws {
        guard let (depot, test) = try await HTTPTests.server(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        let admin = try await depot.adminToken()
        let me = try await depot.request("GET", "/users/me?fields=id", token: admin).json["data"]?["id"]?.stringValue ?? ""

        // Presets: user and role may both be null (a global default); JSON columns round-trip; defaults apply.
        let preset = try await depot.request("POST", "/presets", json: .object([
            ("collection", "articles"), ("user", .null), ("role", .null), ("bookmark", "Drafts"),
            ("filter", .object([("status", .object([("_eq", "draft")]))])), ("layout_query", .object([("tabular", .object([("limit", .int(25))]))])),
        ]), token: admin)
        #expect(preset.status == 200, "\(preset.text)")
        let p = preset.json["data"] ?? .null
        #expect(p["id"] == .int(1) && p["layout"] == "tabular" && p["icon"] == "bookmark" && p["user"] == .null && p["role"] == .null)
        #expect(keyed(p["filter"]) == keyed(JSONValue.object([("status", .object([("_eq", "draft")]))])))
        let mine = try await depot.request("POST", "/presets?fields=user.email", json: .object([("collection", "articles"), ("user", .string(me))]), token: admin)
        #expect(keyed(mine.json["data"]) == keyed(JSONValue.object([("user", .object([("email", "admin@example.com")]))])), "\(mine.text)")
        let global = try await depot.request("GET", "/presets?" + Self.query([("filter", #"{"_and":[{"user":{"_null":true}},{"role":{"_null":true}}]}"#), ("fields", "bookmark")]), token: admin)
        #expect(keyed(global.json["data"]) == keyed(JSONValue.array([.object([("bookmark", "Drafts")])])), "\(global.text)")

        // Notifications: status and timestamp by default; the recipient is required.
        let note = try await depot.request("POST", "/notifications", json: .object([("recipient", .string(me)), ("subject", "Build done")]), token: admin)
        #expect(note.status == 200, "\(note.text)")
        #expect(note.json["data"]?["status"] == "inbox" && note.json["data"]?["timestamp"]?.stringValue?.hasSuffix("Z") == true)
        let noRecipient = try await depot.request("POST", "/notifications", json: .object([("subject", "Lost")]), token: admin)
        #expect(noRecipient.status == 400 && noRecipient.errorCode == "NOT_NULL_VIOLATION")
        let archived = try await depot.request("PATCH", "/notifications/1?fields=status", json: .object([("status", "archived")]), token: admin)
        #expect(keyed(archived.json["data"]) == keyed(JSONValue.object([("status", "archived")])))

        // Shares: the collection must be one Directus knows; the password is stored hashed and never read back.
        try await depot.expectOK("POST", "/collections", .object([("collection", "articles"), ("fields", .array([.object([("field", "title"), ("type", "string")])]))]), token: admin)
        let share = try await depot.request("POST", "/shares", json: .object([("collection", "articles"), ("item", "1"), ("password", "s3cret"), ("max_uses", .int(3))]), token: admin)
        #expect(share.status == 200, "\(share.text)")
        let s = share.json["data"] ?? .null
        #expect(s["password"] == "**********" && s["times_used"] == .int(0) && s["user_created"] == .string(me))
        #expect(s["date_created"]?.stringValue?.hasSuffix("Z") == true)
        let db = try await test.open()
        let hash = try await db.query("SELECT password FROM directus_shares").first?["password"].string ?? ""
        await db.close()
        #expect(hash.hasPrefix("$argon2id$"), "stored hashed: \(hash)")
        let verified = try await depot.request("POST", "/utils/hash/verify", json: .object([("string", "s3cret"), ("hash", .string(hash))]), token: admin)
        #expect(verified.json["data"] == true, "\(verified.text)")
        let guessed = try await depot.request("GET", "/shares?" + Self.query([("filter", #"{"password":{"_starts_with":"$argon2"}}"#)]), token: admin)
        #expect(guessed.status == 400 && guessed.errorCode == "INVALID_QUERY", "a hash is never matched by prefix: \(guessed.text)")
        let unknown = try await depot.request("POST", "/shares", json: .object([("collection", "nothing"), ("item", "1")]), token: admin)
        #expect(unknown.status == 400 && unknown.errorCode == "INVALID_FOREIGN_KEY", "\(unknown.text)")
        // Changing the collection's meta keeps its shares (an update, not a delete that would cascade).
        let patched = try await depot.request("PATCH", "/collections/articles", json: .object([("meta", .object([("note", "Shared")]))]), token: admin)
        #expect(patched.status == 200, "\(patched.text)")
        let searched = try await depot.request("SEARCH", "/shares", json: .object([("query", .object([("fields", .array(["collection", "max_uses"]))]))]), token: admin)
        #expect(keyed(searched.json["data"]) == keyed(JSONValue.array([.object([("collection", "articles"), ("max_uses", .int(3))])])), "\(searched.text)")
    }

    @Test(arguments: Dialect.allCases)
    func permissionsApplyAsOnAnySystemCollection(dialect: Dialect) async throws {
        guard let (depot, test) = try await HTTPTests.server(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        let admin = try await depot.adminToken()
        for (key, language) in [("a", "en-US"), ("b", "de-DE")] {
            try await depot.expectOK("POST", "/translations", .object([("key", .string(key)), ("language", .string(language)), ("value", "v")]), token: admin)
        }
        let reader = try await depot.caller("reader", rules: [
            TestRule(collection: "directus_translations", action: "read", fields: ["id", "key", "language"],
                     filter: .object([("language", .object([("_eq", "en-US")]))])),
            TestRule(collection: "directus_presets", action: "create", fields: ["bookmark", "collection", "user"],
                     validation: .object([("collection", .object([("_eq", "articles")]))]), presets: .object([("user", "$CURRENT_USER")])),
            TestRule(collection: "directus_presets", action: "read", filter: .object([("user", .object([("_eq", "$CURRENT_USER")]))])),
        ], admin: admin)
        let read = try await depot.request("GET", "/translations?fields=key,language", token: reader.token)
        #expect(keyed(read.json["data"]) == keyed(JSONValue.array([.object([("key", "a"), ("language", "en-US")])])), "\(read.text)")
        #expect(try await depot.request("GET", "/translations?fields=value", token: reader.token).status == 403)
        #expect(try await depot.request("POST", "/translations", json: .object([("key", "c"), ("language", "en-US"), ("value", "v")]), token: reader.token).status == 403)
        for path in ["/comments", "/notifications", "/shares"] {
            #expect(try await depot.request("GET", path, token: reader.token).status == 403, "\(path)")
        }
        #expect(try await depot.request("GET", "/translations").status == 403, "the public has no rule")

        let own = try await depot.request("POST", "/presets?fields=bookmark,user", json: .object([("bookmark", "Mine"), ("collection", "articles")]), token: reader.token)
        #expect(keyed(own.json["data"]) == keyed(JSONValue.object([("bookmark", "Mine"), ("user", .string(reader.id))])), "presets apply: \(own.text)")
        let refused = try await depot.request("POST", "/presets", json: .object([("bookmark", "Other"), ("collection", "authors")]), token: reader.token)
        #expect(refused.status == 400 && refused.errorCode == "FAILED_VALIDATION", "\(refused.text)")
        try await depot.expectOK("POST", "/presets", .object([("bookmark", "Admin's"), ("collection", "articles")]), token: admin)
        let visible = try await depot.request("GET", "/presets?fields=bookmark", token: reader.token)
        #expect(keyed(visible.json["data"]) == keyed(JSONValue.array([.object([("bookmark", "Mine")])])), "\(visible.text)")
        #expect(try await depot.request("GET", "/presets?fields=bookmark", token: admin).json["data"]?.arrayItems?.count == 2)
    }
}
