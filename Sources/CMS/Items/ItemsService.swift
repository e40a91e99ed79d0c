import Database

/// Reads through the query language and writes through `ItemWriter`. `/items/:collection` reaches user
/// collections only (system collections are FORBIDDEN there, as in Directus); the routes of a system collection
/// (`/roles`, `/policies`, …) pass `system: true`. Every call enforces the caller's permissions (without a
/// resolver, as in tools and tests, nothing is restricted).
public final class ItemsService: Sendable {
    let database: any Database
    public let schemas: SchemaCache
    private let permissions: PermissionsResolver?
    private let hashParameters: HashParameters
    public let limits: QueryParser.Limits

    public init(database: any Database, schemas: SchemaCache, hashParameters: HashParameters = HashParameters(),
                limits: QueryParser.Limits = QueryParser.Limits(), permissions: PermissionsResolver? = nil) {
        self.database = database
        self.permissions = permissions
        self.schemas = schemas
        self.hashParameters = hashParameters
        self.limits = limits
    }

    /// The store of a collection with a table (a system one only with `system`); anything else is FORBIDDEN.
    public func store(_ name: String, system: Bool = false) async throws -> CollectionStore {
        let snapshot = try await schemas.snapshot()
        guard let collection = snapshot.collection(name), collection.isSystem == system, collection.hasTable else { throw CMSError.forbidden }
        return CollectionStore(schema: collection, database: database, snapshot: snapshot)
    }

    /// What `accountability` may do for `actions`, resolved for this request.
    public func access(_ accountability: Accountability, _ actions: [String]) async throws -> CallerAccess {
        try await permissions?.access(for: accountability, actions: actions) ?? .unrestricted
    }

    public func readMany(_ collection: String, query: Query, accountability: Accountability, system: Bool = false) async throws -> (data: JSONValue, meta: JSONValue?) {
        let store = try await store(collection, system: system)
        let rules = try await access(accountability, ["read"]).action("read")
        var query = query
        if store.schema.singleton {
            query.limit = 1
            guard case .array(let rows) = try await store.readMany(query, accountability: accountability, access: rules).data else { return (.null, nil) }
            return (rows.first ?? .null, nil)
        }
        return try await store.readMany(query, accountability: accountability, access: rules)
    }

    public func readOne(_ collection: String, key: String, query: Query, accountability: Accountability, system: Bool = false) async throws -> JSONValue {
        guard let item = try await readMany(collection, keys: [key], query: query, accountability: accountability, system: system).first else { throw CMSError.forbidden }
        return item
    }

    public func readMany(_ collection: String, keys: [String], query: Query, accountability: Accountability, system: Bool = false) async throws -> [JSONValue] {
        let rules = try await access(accountability, ["read"]).action("read")
        return try await store(collection, system: system).readMany(byKeys: keys, query: query, accountability: accountability, access: rules)
    }

    /// Creates items (one payload object each, nested relations included); returns their keys.
    public func create(_ collection: String, _ payloads: [JSONValue], accountability: Accountability, system: Bool = false) async throws -> [String] {
        let store = try await store(collection, system: system)
        if store.schema.name == "directus_comments" { try await checkComments(payloads, accountability: accountability) }
        return try await write(store, accountability) { writer in try payloads.map { try writer.create(store.schema, $0) } }
    }

    public func update(_ collection: String, keys: [String], _ payload: JSONValue, accountability: Accountability, system: Bool = false) async throws {
        let store = try await store(collection, system: system)
        try await write(store, accountability) { writer in for key in keys { try writer.update(store.schema, key: key, payload) } }
    }

    /// An array of objects, each with its primary key; returns the keys.
    public func updateBatch(_ collection: String, _ items: [JSONValue], accountability: Accountability, system: Bool = false) async throws -> [String] {
        let store = try await store(collection, system: system)
        let pk = store.schema.primaryKey
        let keyed = try items.map { item throws(CMSError) -> (String, JSONValue) in
            guard let key = item[pk].flatMap(CollectionStore.keyText) else { throw CMSError.invalidPayload("Each item needs its \"\(pk)\"") }
            return (key, item)
        }
        try await write(store, accountability) { writer in for (key, item) in keyed { try writer.update(store.schema, key: key, item) } }
        return keyed.map(\.0)
    }

    /// The singleton's one row: updated, or created when missing.
    public func upsertSingleton(_ collection: String, _ payload: JSONValue, accountability: Accountability, system: Bool = false) async throws {
        let store = try await store(collection, system: system)
        let d = database.dialect
        try await write(store, accountability) { writer in
            let existing = try writer.connection.query("SELECT \(d.quote(store.schema.primaryKey)) AS k FROM \(d.quote(store.schema.name)) LIMIT 1")
            if let key = existing.first?["k"].string { try writer.update(store.schema, key: key, payload) }
            else { _ = try writer.create(store.schema, payload) }
        }
    }

    public func delete(_ collection: String, keys: [String], accountability: Accountability, system: Bool = false) async throws {
        let store = try await store(collection, system: system)
        try await write(store, accountability) { writer in try writer.delete(store.schema, keys: keys) }
    }

    /// The keys of the items `query` matches among those the caller may read and may `action` (batch update or
    /// delete by query: items outside the action's rules are skipped, as in Directus).
    public func keys(_ collection: String, matching query: Query, for action: String, accountability: Accountability, system: Bool = false) async throws -> [String] {
        let store = try await store(collection, system: system)
        let access = try await access(accountability, ["read", action])
        let within = try access.rules(action, on: collection)?.itemFilter
        return try await store.keys(matching: query, accountability: accountability, access: access.action("read"), within: within)
    }

    /// Runs `body` with an `ItemWriter` under the caller's rules, in one transaction.
    func write<T: Sendable>(_ store: CollectionStore, _ accountability: Accountability,
                                    _ body: @escaping @Sendable (ItemWriter) throws -> T) async throws -> T {
        let snapshot = store.snapshot, parameters = hashParameters
        let access = try await access(accountability, ["create", "update", "delete"])
        let guarded = AdministratorCount.guardedTables.contains(store.schema.name)
        return try await database.transaction { connection in
            let before = guarded ? try AdministratorCount.active(on: connection) : 0
            let result = try body(ItemWriter(snapshot: snapshot, connection: connection, accountability: accountability,
                                             hash: { try PasswordHasher.hashNow($0, parameters) }, access: access))
            if before > 0, try AdministratorCount.active(on: connection) == 0 {
                throw CMSError.unprocessable("At least one active administrator must remain")
            }
            return result
        }
    }
}
