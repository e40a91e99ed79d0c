import CMS
import Database
import Foundation
import Synchronization
import Testing

/// The response cache's tags as the CMS derives them, on both dialects: the tables a read records (from its
/// compiled query: joins, one-to-many follow-ups, junctions, relational filters and permission rules that read
/// other tables) and the tables a committed write announces on the change feed.
@Suite struct CacheTagsTests {
    /// The `ItemsRelationsTests` catalog plus a collection named `only` (a SQL keyword, as collection names may
    /// be), and a reader whose comment rule reads `articles` and its own user row (`$CURRENT_USER.first_name`),
    /// and whose tag rule reads its role tree (`$CURRENT_ROLES`).
    /// The depot process made the schema; the services under test run in this process on the same database.
    struct Fixture {
        let depot: DepotProcess
        let test: TestDatabase
        let database: TrackedDatabase
        /// Unrestricted, as the server's own work; `guarded` applies the callers' permissions.
        let items: ItemsService
        let guarded: ItemsService
        let permissions: PermissionsResolver
        let reader: Accountability
        let events: Events
        let onlyKey: String

        func stop() async {
            await database.close()
            await depot.stop()
            await test.drop()
        }
    }

    final class Events: Sendable {
        private let state = Mutex<[ChangeEvent]>([])
        func append(_ event: ChangeEvent) { state.withLock { $0.append(event) } }
        /// The events announced since the last call.
        func take() -> [ChangeEvent] { state.withLock { events in defer { events = [] }; return events } }
    }

    static func fixture(_ dialect: Dialect) async throws -> Fixture? {
        guard let (depot, test, token) = try await ItemsRelationsTests.catalog(dialect) else { return nil }
        func post(_ path: String, _ body: JSONValue) async throws -> String {
            let reply = try await depot.request("POST", path + "?fields=id", json: body, token: token)
            #expect(reply.status == 200, "\(path): \(reply.text)")
            return CollectionStore.keyText(reply.json["data"]?["id"] ?? .null) ?? ""
        }
        _ = try await post("/collections", .object([("collection", "only"), ("fields", .array([.object([("field", "name"), ("type", "string")])]))]))
        let onlyKey = try await post("/items/only", .object([("name", "first")]))
        _ = try await post("/items/articles", .object([("title", "Reader"), ("rank", .int(1)),
                                                       ("comments", .array([.object([("body", "hi"), ("stars", .int(5))])]))]))
        let role = try await post("/roles", .object([("name", "Readers")]))
        let user = try await post("/users", .object([("email", "reader@example.com"), ("password", "reader-password"),
                                                     ("first_name", "Reader"), ("role", .string(role))]))
        let policy = try await post("/policies", .object([("name", "Readers")]))
        _ = try await post("/access", .object([("policy", .string(policy)), ("role", .string(role))]))
        let byOwnName: JSONValue = .object([("article", .object([("title", .object([("_eq", "$CURRENT_USER.first_name")]))]))])
        _ = try await post("/permissions", .object([("policy", .string(policy)), ("collection", "comments"), ("action", "read"),
                                                    ("fields", .array(["*"])), ("permissions", byOwnName)]))
        let notARole: JSONValue = .object([("name", .object([("_nin", "$CURRENT_ROLES")]))])
        _ = try await post("/permissions", .object([("policy", .string(policy)), ("collection", "tags"), ("action", "read"),
                                                    ("fields", .array(["*"])), ("permissions", notARole)]))

        let feed = ChangeFeed()
        let events = Events()
        feed.subscribe { events.append($0) }
        let database = TrackedDatabase(try await test.open(), feed: feed)
        let permissions = PermissionsResolver(database: database)
        let schemas = SchemaCache(database: database)
        return Fixture(depot: depot, test: test, database: database, items: ItemsService(database: database, schemas: schemas),
                       guarded: ItemsService(database: database, schemas: schemas, permissions: permissions), permissions: permissions,
                       reader: Accountability(user: user, role: role), events: events, onlyKey: onlyKey)
    }

    /// The tables `read` recorded, as the response cache would tag its answer; nil when the answer is not cacheable.
    static func tags(_ read: () async throws -> Void) async throws -> Set<String>? {
        let tracker = ReadTracker()
        try await ReadTracker.$current.withValue(tracker) { try await read() }
        return tracker.cacheable ? tracker.tables : nil
    }

    @Test(arguments: Dialect.allCases)
    func readsAreTaggedWithEveryTableTheirQueriesRead(dialect: Dialect) async throws {
        guard let f = try await Self.fixture(dialect) else { return }
        defer { Task { await f.stop() } }
        let admin = Accountability(admin: true)
        func read(_ collection: String, _ pairs: [(String, String)], as caller: Accountability = admin, system: Bool = false) async throws -> Set<String>? {
            let query = try QueryParser.parse(pairs: pairs)
            let items = caller.admin ? f.items : f.guarded
            return try await Self.tags { _ = try await items.readMany(collection, query: query, accountability: caller, system: system) }
        }
        _ = try await f.items.readMany("tags", query: Query(), accountability: admin)   // the schema snapshot, outside any request

        #expect(try await read("tags", [("fields", "name")]) == ["tags"])
        #expect(try await read("only", [("fields", "name")]) == ["only"], "a collection named like a SQL keyword")
        // Many-to-one by join, one-to-many by follow-up, many-to-many through its junction.
        #expect(try await read("comments", [("fields", "body,article.title")]) == ["comments", "articles"])
        #expect(try await read("articles", [("fields", "title,comments.body")]) == ["articles", "comments"])
        #expect(try await read("articles", [("fields", "title,tags.tags_id.name")]) == ["articles", "articles_tags", "tags"])
        #expect(try await read("articles", [("fields", "title,tags")]) == ["articles", "articles_tags"], "junction keys only")
        // Relational filters, sorts and functions read the related table even when no field of it is answered.
        #expect(try await read("articles", [("fields", "title"), ("filter[comments][_some][stars][_gt]", "3")]) == ["articles", "comments"])
        #expect(try await read("comments", [("fields", "body"), ("filter[article][rank][_gt]", "0")]) == ["comments", "articles"])
        #expect(try await read("comments", [("fields", "body"), ("sort", "-article.rank")]) == ["comments", "articles"])
        #expect(try await read("articles", [("fields", "title,count(comments)")]) == ["articles", "comments"])
        #expect(try await read("articles", [("fields", "title,comments.body"), ("deep[comments][_filter][article][rank][_gt]", "0")])
                == ["articles", "comments"])
        // Aggregates and counts.
        #expect(try await read("comments", [("aggregate[count]", "*"), ("groupBy[]", "article")]) == ["comments"])
        #expect(try await read("comments", [("aggregate[avg]", "stars"), ("filter[article][title][_eq]", "Reader")]) == ["comments", "articles"])
        #expect(try await read("articles", [("fields", "title"), ("meta", "*")]) == ["articles"])
        // /files, /users and the other system collections.
        #expect(try await read("directus_files", [("fields", "id,folder.name")], system: true) == ["directus_files", "directus_folders"])
        #expect(try await read("directus_users", [("fields", "email,role.name")], system: true) == ["directus_users", "directus_roles"])
        let settings = SettingsService(database: f.database)
        #expect(try await Self.tags { _ = try await settings.read(fields: ["*"], caller: admin) } == ["directus_settings"])
        #expect(try await Self.tags { _ = try await SchemaCache(database: f.database).snapshot() } == ["directus_collections", "directus_fields", "directus_relations"])

        // A permission rule's reads count: its relational filter reads articles, `$CURRENT_USER.first_name` the
        // reader's row. (The middleware resolves the caller's permissions before the request, as here.)
        _ = try await f.permissions.fingerprint(for: f.reader)
        // `$CURRENT_ROLES` reads the role tree; a caller's rules are resolved together, so each answer counts the
        // reads of all of them.
        #expect(try await read("comments", [("fields", "body")], as: f.reader) == ["comments", "articles", "directus_users", "directus_roles"])
        #expect(try await read("tags", [("fields", "name")], as: f.reader) == ["tags", "directus_users", "directus_roles"])

        // What depends on the time, or reads tables nobody named, is not kept.
        #expect(try await read("directus_files", [("fields", "id"), ("filter[uploaded_on][_lte]", "$NOW")], system: true) == nil)
        #expect(try await Self.tags { _ = try await f.database.query("SELECT 1 AS one") } == nil)
    }

    @Test(arguments: Dialect.allCases)
    func writesAnnounceEveryTableTheyWrite(dialect: Dialect) async throws {
        guard let f = try await Self.fixture(dialect) else { return }
        defer { Task { await f.stop() } }
        let admin = Accountability(admin: true)
        _ = f.events.take()

        // A nested create: the item, its o2m children, the junction rows and a new related item, with activity.
        _ = try await f.items.create("articles", [.object([
            ("title", "Nested"), ("comments", .array([.object([("body", "c")])])),
            ("tags", .array([.object([("tags_id", .object([("name", "fresh")]))])])),
        ])], accountability: admin)
        var events = f.events.take()
        #expect(events.map(\.tables) == [["articles", "comments", "articles_tags", "tags", "directus_activity", "directus_revisions"]])
        #expect(events.map(\.schemaChanged) == [false])

        try await f.items.update("only", keys: [f.onlyKey], .object([("name", "second")]), accountability: admin)
        #expect(f.events.take().map(\.tables) == [["only", "directus_activity", "directus_revisions"]])
        try await f.items.delete("only", keys: [f.onlyKey], accountability: admin)
        #expect(f.events.take().map(\.tables) == [["only", "directus_activity"]])

        // Services writing system tables without ItemWriter.
        let folders = FoldersService(database: f.database)
        let folder = try await folders.create(.object([("name", "box")]), accountability: admin)
        #expect(f.events.take().map(\.tables) == [["directus_folders"]])
        try await folders.delete([folder], accountability: admin)
        #expect(f.events.take().map(\.tables) == [["directus_files", "directus_folders"]])
        try await SettingsService(database: f.database).update(.object([("project_name", "Tagged")]), caller: admin)
        #expect(f.events.take().map(\.tables) == [["directus_settings"]])

        // A failed write announces nothing.
        await #expect(throws: CMSError.self) {
            _ = try await f.items.create("tags", [.object([("name", "swift")])], accountability: admin)
        }
        #expect(f.events.take().isEmpty)

        // Schema changes are announced as such (the cache empties, the snapshot is read again).
        let schema = SchemaService(database: f.database, cache: SchemaCache(database: f.database))
        try await schema.createField("tags", .object([("field", "colour"), ("type", "string")]), caller: admin)
        events = f.events.take()
        #expect(events.count == 1 && events.allSatisfy(\.schemaChanged), "\(events)")
    }
}
