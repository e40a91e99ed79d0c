import CMS
import Database
import Foundation
import Testing

/// `/translations`, `/presets`, `/comments`, `/notifications` and `/shares`: Directus 11's tables, made by a
/// migration that leaves a table Directus already made alone, served with the items routes, the query language
/// and the caller's permissions — on SQLite and PostgreSQL.
@Suite struct SystemCollectionsTests {
    /// A column as the catalog reports it: PostgreSQL's `format_type` / SQLite's declared type, NOT NULL, default.
    struct Column: Equatable, CustomStringConvertible {
        let name: String, type: String, notNull: Bool, defaultSQL: String?
        var description: String { "\(name) \(type)\(notNull ? " NOT NULL" : "")\(defaultSQL.map { " DEFAULT \($0)" } ?? "")" }
    }

    /// Directus 11.17.4's columns (its system-schema reference), per dialect; SQLite's `PRAGMA table_info`
    /// upper-cases the standard names `INTEGER` and `TEXT`. SQLite's timestamp default is Depot's ISO 8601
    /// expression, as on Depot's other system tables.
    static func expectedColumns(_ dialect: Dialect) -> [String: [Column]] {
        let pg = dialect == .postgres
        func c(_ name: String, _ pgType: String, _ sqliteType: String, _ notNull: Bool = false, _ pgDefault: String? = nil, _ sqliteDefault: String? = nil) -> Column {
            Column(name: name, type: pg ? pgType : sqliteType, notNull: notNull, defaultSQL: pg ? pgDefault : sqliteDefault)
        }
        let now = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
        let uuid = ("uuid", "char(36)"), text = ("text", "TEXT"), json = ("json", "json"), int = ("integer", "INTEGER")
        let stamp = ("timestamp with time zone", "datetime")
        func v(_ n: Int) -> (String, String) { ("character varying(\(n))", "varchar(\(n))") }
        func serial(_ table: String) -> Column { c("id", "integer", "INTEGER", true, "nextval('\(table)_id_seq'::regclass)") }
        return [
            "directus_translations": [
                c("id", uuid.0, uuid.1, true), c("language", v(255).0, v(255).1, true), c("key", v(255).0, v(255).1, true),
                c("value", text.0, text.1, true),
            ],
            "directus_presets": [
                serial("directus_presets"), c("bookmark", v(255).0, v(255).1), c("user", uuid.0, uuid.1), c("role", uuid.0, uuid.1),
                c("collection", v(64).0, v(64).1), c("search", v(100).0, v(100).1),
                c("layout", v(100).0, v(100).1, false, "'tabular'::character varying", "'tabular'"),
                c("layout_query", json.0, json.1), c("layout_options", json.0, json.1), c("refresh_interval", int.0, int.1),
                c("filter", json.0, json.1), c("icon", v(64).0, v(64).1, false, "'bookmark'::character varying", "'bookmark'"),
                c("color", v(255).0, v(255).1),
            ],
            "directus_comments": [
                c("id", uuid.0, uuid.1, true), c("collection", v(64).0, v(64).1, true), c("item", v(255).0, v(255).1, true),
                c("comment", text.0, text.1, true), c("date_created", stamp.0, stamp.1, false, "CURRENT_TIMESTAMP", now),
                c("date_updated", stamp.0, stamp.1, false, "CURRENT_TIMESTAMP", now), c("user_created", uuid.0, uuid.1),
                c("user_updated", uuid.0, uuid.1),
            ],
            "directus_notifications": [
                serial("directus_notifications"), c("timestamp", stamp.0, stamp.1, false, "CURRENT_TIMESTAMP", now),
                c("status", v(255).0, v(255).1, false, "'inbox'::character varying", "'inbox'"), c("recipient", uuid.0, uuid.1, true),
                c("sender", uuid.0, uuid.1), c("subject", v(255).0, v(255).1, true), c("message", text.0, text.1),
                c("collection", v(64).0, v(64).1), c("item", v(255).0, v(255).1),
            ],
            "directus_shares": [
                c("id", uuid.0, uuid.1, true), c("name", v(255).0, v(255).1), c("collection", v(64).0, v(64).1, true),
                c("item", v(255).0, v(255).1, true), c("role", uuid.0, uuid.1), c("password", v(255).0, v(255).1),
                c("user_created", uuid.0, uuid.1), c("date_created", stamp.0, stamp.1, false, "CURRENT_TIMESTAMP", now),
                c("date_start", stamp.0, stamp.1), c("date_end", stamp.0, stamp.1), c("times_used", int.0, int.1, false, "0", "0"),
                c("max_uses", int.0, int.1),
            ],
        ]
    }

    /// Foreign keys: knex's names (PostgreSQL; SQLite keeps them unnamed) and Directus's ON DELETE rules.
    static let expectedForeignKeys: [String: [String]] = [
        "directus_translations": [],
        "directus_presets": ["directus_presets_role_foreign role→directus_roles.id CASCADE", "directus_presets_user_foreign user→directus_users.id CASCADE"],
        "directus_comments": ["directus_comments_user_created_foreign user_created→directus_users.id SET NULL",
                              "directus_comments_user_updated_foreign user_updated→directus_users.id NO ACTION"],
        "directus_notifications": ["directus_notifications_recipient_foreign recipient→directus_users.id CASCADE",
                                   "directus_notifications_sender_foreign sender→directus_users.id NO ACTION"],
        "directus_shares": ["directus_shares_collection_foreign collection→directus_collections.collection CASCADE",
                            "directus_shares_role_foreign role→directus_roles.id CASCADE",
                            "directus_shares_user_created_foreign user_created→directus_users.id SET NULL"],
    ]

    static func columns(_ db: any Database, _ table: String) async throws -> [Column] {
        if db.dialect == .postgres {
            return try await db.query("""
                SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
                       pg_get_expr(d.adbin, d.adrelid) AS def
                FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
                """, [.text(table)]).map { Column(name: $0["name"].string ?? "", type: $0["type"].string ?? "", notNull: $0["notnull"].bool == true, defaultSQL: $0["def"].string) }
        }
        return try await db.query("SELECT name, type, \"notnull\", dflt_value FROM pragma_table_info(?)", [.text(table)]).map {
            Column(name: $0["name"].string ?? "", type: $0["type"].string ?? "", notNull: $0["notnull"].int == 1, defaultSQL: $0["dflt_value"].string)
        }
    }

    static func foreignKeys(_ db: any Database, _ table: String) async throws -> [String] {
        if db.dialect == .postgres {
            return try await db.query("""
                SELECT con.conname AS name, att.attname AS col, ref.relname AS target, ratt.attname AS target_col,
                       CASE con.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'a' THEN 'NO ACTION'
                                            WHEN 'r' THEN 'RESTRICT' ELSE 'SET DEFAULT' END AS rule
                FROM pg_constraint con JOIN pg_class ref ON ref.oid = con.confrelid
                JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1]
                JOIN pg_attribute ratt ON ratt.attrelid = con.confrelid AND ratt.attnum = con.confkey[1]
                WHERE con.contype = 'f' AND con.conrelid = ?::regclass ORDER BY con.conname
                """, [.text(table)]).map {
                "\($0["name"].string ?? "") \($0["col"].string ?? "")→\($0["target"].string ?? "").\($0["target_col"].string ?? "") \($0["rule"].string ?? "")"
            }
        }
        // SQLite keeps no names: compare with the names knex would have given.
        return try await db.query("SELECT \"from\" AS col, \"table\" AS target, \"to\" AS target_col, on_delete FROM pragma_foreign_key_list(?)", [.text(table)]).map {
            let column = $0["col"].string ?? ""
            return "\(table)_\(column)_foreign \(column)→\($0["target"].string ?? "").\($0["target_col"].string ?? "") \($0["on_delete"].string ?? "")"
        }.sorted()
    }

    @Test(arguments: Dialect.allCases)
    func migrationCreatesDirectusTablesAndLeavesExistingOnes(dialect: Dialect) async throws {
        try await TestDatabase.with(dialect) { _, db in
            // A database Directus made already has the table (here with one more column): it is left as it is.
            try await db.execute("CREATE TABLE directus_translations (id char(36) PRIMARY KEY NOT NULL, language varchar(255) NOT NULL, \"key\" varchar(255) NOT NULL, value text NOT NULL, note text)")
            try await Migrator.migrate(db, logger: TestServices.logger)
            #expect(try await Self.columns(db, "directus_translations").map(\.name) == ["id", "language", "key", "value", "note"])
            for (table, expected) in Self.expectedColumns(dialect) where table != "directus_translations" {
                let columns = try await Self.columns(db, table)
                #expect(columns == expected, "\(table): \(columns)")
                #expect(try await Self.foreignKeys(db, table) == Self.expectedForeignKeys[table], "\(table)")
            }
        }
        try await TestDatabase.with(dialect) { _, db in
            try await Migrator.migrate(db, logger: TestServices.logger)
            let columns = try await Self.columns(db, "directus_translations")
            #expect(columns == Self.expectedColumns(dialect)["directus_translations"], "\(columns)")
            #expect(try await Self.foreignKeys(db, "directus_translations").isEmpty)
        }
    }

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
