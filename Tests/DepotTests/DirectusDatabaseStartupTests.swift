import CMS
import Database
import Foundation
import Testing

/// A team stops its Directus 11.17 container and starts Depot on the same database: Depot takes it as it is,
/// changes nothing of Directus's tables, and answers with the data Directus wrote. A database below that level
/// makes start-up stop with one line saying what to do.
@Suite struct DirectusDatabaseStartupTests {
    static let adminPolicy = "5d9f0f0e-3c35-4a4e-9a57-1f7a6a0d0a01", editorPolicy = "5d9f0f0e-3c35-4a4e-9a57-1f7a6a0d0a02"
    static let adminRole = "7b1c3f0e-1d2e-4f3a-8b4c-5d6e7f8a9b01", editorRole = "7b1c3f0e-1d2e-4f3a-8b4c-5d6e7f8a9b02"
    static let admin = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c01", editor = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c02"
    static let file = "f0e1d2c3-b4a5-4968-8776-655443322101", extensionID = "e0e1d2c3-b4a5-4968-8776-655443322101"
    /// node-argon2's default parameters (what Directus stores), made by argon2-cffi for `d1rectus-Pass!`.
    static let editorHash = "$argon2id$v=19$m=65536,t=3,p=4$3KQDAv5eAl2oOg54tcfrGg$kyxa2GhdPP7KtSewlePTMd0oKrW3QF2fs9DR1ymobO4"

    /// Rows as Directus writes them: on SQLite timestamps are milliseconds since 1970 and booleans 0/1.
    static func seed(_ db: any Database) async throws {
        let adminHash = try String(contentsOfFile: Repository.fixture("directus-default-argon2.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let sqlite = db.dialect == .sqlite
        @Sendable func at(_ iso: String) -> DatabaseValue {
            sqlite ? .integer(Int64(ISO8601.date(from: iso)!.timeIntervalSince1970 * 1000)) : .text(iso)
        }
        try await db.transaction { c in
            try c.execute("INSERT INTO directus_policies (id, name, icon, description, admin_access, app_access) VALUES (?, 'Administrator', 'verified', '$t:admin_description', ?, ?)",
                          [.text(adminPolicy), true, true])
            try c.execute("INSERT INTO directus_policies (id, name, icon, admin_access, app_access) VALUES (?, 'Editors', 'badge', ?, ?)",
                          [.text(editorPolicy), false, true])
            try c.execute("INSERT INTO directus_policies (id, name, icon, description, admin_access, app_access) VALUES ('abf8a154-5b1c-4a46-ac9c-7300570f4f17', '$t:public_label', 'public', '$t:public_description', ?, ?)",
                          [false, false])
            try c.execute("INSERT INTO directus_roles (id, name, icon, description) VALUES (?, 'Administrator', 'verified', '$t:admin_description')", [.text(adminRole)])
            try c.execute("INSERT INTO directus_roles (id, name) VALUES (?, 'Editor')", [.text(editorRole)])
            for (id, role, policy, sort) in [("a1", adminRole, adminPolicy, DatabaseValue.null), ("a2", editorRole, editorPolicy, .null),
                                             ("a3", nil, "abf8a154-5b1c-4a46-ac9c-7300570f4f17", .integer(1))] {
                try c.execute("INSERT INTO directus_access (id, role, \"user\", policy, sort) VALUES (?, ?, NULL, ?, ?)",
                              [.text("3c9e2b1a-0000-4000-8000-0000000000\(id.dropFirst())0"), .optional(role), .text(policy), sort])
            }
            try c.execute("INSERT INTO directus_users (id, first_name, last_name, email, password, status, role, last_access) VALUES (?, 'Admin', 'User', 'admin@example.com', ?, 'active', ?, ?)",
                          [.text(admin), .text(adminHash), .text(adminRole), at("2026-11-30T08:00:00.000Z")])
            try c.execute("INSERT INTO directus_users (id, email, password, status, role) VALUES (?, 'editor@example.com', ?, 'active', ?)",
                          [.text(editor), .text(editorHash), .text(editorRole)])
            try c.execute("INSERT INTO directus_permissions (collection, action, permissions, fields, policy) VALUES ('articles', 'read', '{}', '*', ?)", [.text(editorPolicy)])
            try c.execute("INSERT INTO directus_settings (project_name, project_id) VALUES ('Directus Site', '019a8b2e-7c4d-7e5f-9a0b-1c2d3e4f5a6b')")
            try c.execute("""
                INSERT INTO directus_files (id, storage, filename_disk, filename_download, title, type, uploaded_by, created_on, modified_on, filesize, width, height, uploaded_on)
                VALUES (?, 'local', ?, 'photo.jpg', 'Photo', 'image/jpeg', ?, ?, ?, 19130, 400, 225, ?)
                """, [.text(file), .text("\(file).jpg"), .text(admin), at("2026-11-30T09:00:00.000Z"), at("2026-11-30T09:00:00.000Z"),
                      at("2026-11-30T09:00:00.000Z")])
            // A collection made in Directus's app, with its metadata and an activity row for its first item.
            let serial = sqlite ? "integer not null primary key autoincrement" : "serial primary key"
            try c.execute("CREATE TABLE articles (id \(serial), title varchar(255), date_created \(sqlite ? "datetime" : "timestamp with time zone"))")
            try c.execute("INSERT INTO directus_collections (collection, icon) VALUES ('articles', 'article')")
            try c.execute("INSERT INTO directus_fields (collection, field, special, interface) VALUES ('articles', 'date_created', 'date-created,cast-timestamp', 'datetime')")
            try c.execute("INSERT INTO articles (title, date_created) VALUES ('Hello', ?)", [at("2026-11-30T10:00:00.000Z")])
            try c.execute("INSERT INTO directus_activity (action, \"user\", timestamp, ip, user_agent, collection, item, origin) VALUES ('create', ?, ?, '127.0.0.1', 'Mozilla/5.0', 'articles', '1', 'http://localhost:8055')",
                          [.text(admin), at("2026-11-30T10:00:00.000Z")])
            try c.execute("INSERT INTO directus_extensions (enabled, id, folder, source) VALUES (?, ?, 'directus-extension-demo', 'local')",
                          [true, .text(extensionID)])
            try c.execute("INSERT INTO directus_revisions (activity, collection, item, data, delta) VALUES (1, 'articles', '1', '{\"title\":\"Hello\"}', '{\"title\":\"Hello\"}')")
        }
    }

    /// A fresh database as Directus 11.17.4 leaves it, with the seed rows, dropped after `body`.
    static func withDirectusDatabase(_ dialect: Dialect, _ body: (TestDatabase, any Database) async throws -> Void) async throws {
        try await TestDatabase.with(dialect) { test, db in
            try await DirectusMadeDatabase.create(db)
            try await seed(db)
            try await body(test, db)
        }
    }

    /// Everything but Depot's own tables.
    static func directusTables(_ db: any Database) async throws -> CatalogSnapshot {
        try await CatalogSnapshot.read(db).filtered(tables: { !$0.hasPrefix("depot_") })
    }

    @Test(arguments: Dialect.allCases)
    func depotStartsOnADirectusDatabaseAndChangesNoneOfItsTables(dialect: Dialect) async throws {
        try await Self.withDirectusDatabase(dialect) { test, db in
            let before = try await Self.directusTables(db)

            let depot = try await DepotProcess.start(test.environment)
            let after = try await Self.directusTables(db)
            #expect(after.differences(from: before).isEmpty, "\(after.differences(from: before).joined(separator: "\n"))")
            #expect(depot.stderr.contains("database made by Directus (last migration 20260211A)"))

            // Logins with the hashes Directus made.
            let adminToken = try await depot.adminToken(password: "password")
            let login = try await depot.request("POST", "/auth/login", json: .object([("email", "editor@example.com"), ("password", "d1rectus-Pass!")]))
            let editorToken = try #require(login.json["data"]?["access_token"]?.stringValue, "\(login.text)")

            let activity = try await depot.request("GET", "/activity?sort=id", token: adminToken)
            #expect(activity.status == 200, "\(activity.text)")
            let entry = try #require(activity.json["data"]?.arrayItems?.first)
            #expect(entry["collection"] == "articles")
            #expect(entry["timestamp"] == "2026-11-30T10:00:00.000Z")
            #expect(entry["comment"] == nil)

            let users = try await depot.request("GET", "/users?sort=email&fields=email,role.name", token: adminToken)
            #expect(users.status == 200, "\(users.text)")
            #expect(users.json["data"]?.arrayItems?.map { $0["email"]?.stringValue } == ["admin@example.com", "editor@example.com"])
            #expect(users.json["data"]?.arrayItems?.first?["role"]?["name"] == "Administrator")

            let files = try await depot.request("GET", "/files?fields=id,filename_download,filesize,uploaded_on", token: adminToken)
            #expect(files.status == 200, "\(files.text)")
            #expect(files.json["data"]?.arrayItems?.first?["filename_download"] == "photo.jpg")
            #expect(files.json["data"]?.arrayItems?.first?["uploaded_on"] == "2026-11-30T09:00:00.000Z")

            let settings = try await depot.request("GET", "/settings", token: adminToken)
            #expect(settings.status == 200, "\(settings.text)")
            #expect(settings.json["data"]?["project_name"] == "Directus Site")
            #expect(settings.json["data"]?["project_id"] == "019a8b2e-7c4d-7e5f-9a0b-1c2d3e4f5a6b")

            let articles = try await depot.request("GET", "/items/articles", token: editorToken)
            #expect(articles.status == 200, "\(articles.text)")
            #expect(articles.json["data"]?.arrayItems?.first?["title"] == "Hello")
            #expect(articles.json["data"]?.arrayItems?.first?["date_created"] == "2026-11-30T10:00:00.000Z")

            // The extension rows Directus keeps, in its /extensions shape (Depot loads none, so no manifest).
            let extensions = try await depot.request("GET", "/extensions", token: adminToken)
            #expect(extensions.status == 200, "\(extensions.text)")
            let listed = try #require(extensions.json["data"]?.arrayItems?.first)
            #expect(listed["id"]?.stringValue == Self.extensionID)
            #expect(listed["schema"] == .null)
            #expect(listed["meta"]?["folder"] == "directus-extension-demo")
            #expect(listed["meta"]?["enabled"] == true)
            let disabled = try await depot.request("PATCH", "/extensions/\(Self.extensionID)", json: .object([("meta", .object([("enabled", false)]))]), token: adminToken)
            #expect(disabled.json["data"]?["meta"]?["enabled"] == false, "\(disabled.text)")
            #expect(try await depot.request("GET", "/extensions", token: editorToken).status == 403)
            let deployments = try await depot.request("GET", "/deployment", token: adminToken)
            #expect(deployments.status == 200, "\(deployments.text)")
            #expect(deployments.json["data"] == .array([]))

            // Writes go to Directus's tables as they are; the record stays Directus's alone.
            let created = try await depot.request("POST", "/items/articles", json: .object([("title", "From Depot")]), token: adminToken)
            #expect(created.status == 200, "\(created.text)")
            let versions = try await db.query("SELECT version FROM directus_migrations ORDER BY version").compactMap { $0["version"].string }
            #expect(versions == SchemaReference.shared.migrations.map(\.version))
            await depot.stop()
            #expect(try await Self.directusTables(db).differences(from: before).isEmpty)
        }
    }

    /// A later Directus may add and drop system columns: reads take the columns the database has.
    @Test(arguments: Dialect.allCases)
    func aLaterDirectusIsReadFromTheColumnsItHas(dialect: Dialect) async throws {
        try await Self.withDirectusDatabase(dialect) { test, db in
            try await db.execute("INSERT INTO directus_migrations (version, name) VALUES ('20260401A', 'Add Future Columns')")
            try await db.execute("ALTER TABLE directus_users ADD COLUMN pronouns varchar(32)")
            try await db.execute("UPDATE directus_users SET pronouns = 'they/them' WHERE email = 'editor@example.com'")
            try await db.execute("ALTER TABLE directus_activity DROP COLUMN origin")

            let depot = try await DepotProcess.start(test.environment)
            let token = try await depot.adminToken(password: "password")
            let users = try await depot.request("GET", "/users?sort=email", token: token)
            #expect(users.status == 200, "\(users.text)")
            #expect(users.json["data"]?.arrayItems?.last?["pronouns"] == "they/them")
            let activity = try await depot.request("GET", "/activity", token: token)
            #expect(activity.status == 200, "\(activity.text)")
            #expect(activity.json["data"]?.arrayItems?.first?.objectKeys?.contains("origin") == false)
            // Writing activity works without the dropped column too.
            #expect(try await depot.request("POST", "/items/articles", json: .object([("title", "Later")]), token: token).status == 200)
            #expect(try await db.query("SELECT COUNT(*) AS n FROM directus_activity WHERE collection = 'articles'").first?["n"].int == 2)
            await depot.stop()
        }
    }

    @Test(arguments: Dialect.allCases)
    func depotRefusesADirectusDatabaseBelow11_17(dialect: Dialect) async throws {
        try await Self.withDirectusDatabase(dialect) { test, db in
            try await db.execute("DELETE FROM directus_migrations WHERE version = '20260211A'")
            let before = try await CatalogSnapshot.read(db)

            let depot = try DepotProcess(environment: test.environment)
            try depot.run()
            await DepotProcess.waitForExit(depot.process)
            #expect(!depot.process.isRunning)
            #expect(depot.process.terminationStatus != 0)
            let line = depot.stderr.split(separator: "\n").first { $0.contains("older Directus") }
            #expect(line?.contains("last migration 20260204A") == true, "\(depot.stderr)")
            #expect(line?.contains("upgrade it with Directus 11.17.4 first") == true)
            // Nothing was created or changed, Depot's own tables included.
            #expect(try await CatalogSnapshot.read(db).differences(from: before).isEmpty)
        }
    }
}
