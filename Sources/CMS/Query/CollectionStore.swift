import Database

/// Reads and writes the rows of one collection through the query language: the one path that files,
/// folders and (with the Items issue) every collection go through.
public struct CollectionStore: Sendable {
    public let schema: CollectionSchema
    let database: any Database
    /// The schema relational fields and filters are resolved in.
    let snapshot: SchemaSnapshot

    public init(schema: CollectionSchema, database: any Database, snapshot: SchemaSnapshot = .system) {
        self.schema = schema
        self.database = database
        self.snapshot = snapshot
    }

    /// Rows matching `query`, plus `meta` when asked for. With `accountability`, the dynamic values of the
    /// filter and of deep filters (`$CURRENT_USER`, `$NOW`, …) are resolved for that caller first; with `access`,
    /// only what its read rules allow is read; `within` narrows the rows further (an action's item filter).
    public func readMany(_ query: Query, accountability: Accountability? = nil, access: ActionAccess? = nil,
                         within: JSONValue? = nil) async throws -> (data: JSONValue, meta: JSONValue?) {
        let plan = try await plan(query, accountability: accountability, access: access, within: within)
        return try await database.read(tagging: plan.tables) { connection in
            let runner = QueryRunner(connection: connection)
            let data = JSONValue.array(try runner.items(plan))
            var meta: [(String, JSONValue)] = []
            if let total = plan.totalCount { meta.append(("total_count", .int(try runner.count(total)))) }
            if let filtered = plan.filterCount { meta.append(("filter_count", .int(try runner.count(filtered)))) }
            return (data, meta.isEmpty ? nil : .object(meta))
        }
    }

    /// The primary keys of the rows `query` matches (its fields and meta aside) — whether or not the caller may
    /// read the primary key itself: a batch names its items by key.
    public func keys(matching query: Query, accountability: Accountability? = nil, access: ActionAccess? = nil,
                     within: JSONValue? = nil) async throws -> [String] {
        var query = query
        query.fields = []
        query.meta = []
        query.alias = [:]
        return try await keyedItems(query, accountability: accountability, access: access, within: within).compactMap(\.key)
    }

    /// One row by primary key with `query`'s fields and deep, or nil.
    public func readOne(_ key: String, query: Query = Query(), accountability: Accountability? = nil, access: ActionAccess? = nil) async throws -> JSONValue? {
        try await readMany(byKeys: [key], query: query, accountability: accountability, access: access).first
    }

    /// The rows with these primary keys, in the order of `keys` (missing ones and those `access` hides left out).
    /// The keys are the caller's to name: matching them needs no read rule on the primary key, and the answer
    /// holds the fields asked for (by default the readable ones) and nothing else.
    public func readMany(byKeys keys: [String], query: Query = Query(), accountability: Accountability? = nil,
                         access: ActionAccess? = nil) async throws -> [JSONValue] {
        // A key that can't be one of this collection's (`abc` for an integer key) matches nothing, as an
        // unknown key: the caller answers FORBIDDEN, never a query error that tells the key's type.
        let keys = keys.filter { key in
            guard let field = schema.field(schema.primaryKey) else { return true }
            return (try? FieldValues.database(.string(key), field, inFilter: true)) != nil
        }
        guard !keys.isEmpty else { return [] }
        var byKeys = Query()
        byKeys.fields = query.fields
        byKeys.deep = query.deep
        byKeys.alias = query.alias
        byKeys.limit = nil
        let matching: JSONValue = .object([(schema.primaryKey, .object([("_in", .array(keys.map(JSONValue.string)))]))])
        var byKey: [String: JSONValue] = [:]
        for row in try await keyedItems(byKeys, accountability: accountability, access: access, within: matching) {
            if let key = row.key { byKey[key] = row.item }
        }
        return keys.compactMap { byKey[$0] }
    }

    /// Items with the primary key of each (see `QueryCompiler.keyed`).
    private func keyedItems(_ query: Query, accountability: Accountability?, access: ActionAccess?,
                            within: JSONValue?) async throws -> [(key: String?, item: JSONValue)] {
        let plan = try await plan(query, accountability: accountability, access: access, within: within, keyed: true)
        return try await database.read(tagging: plan.tables) { connection in try QueryRunner(connection: connection).keyedItems(plan) }
    }

    /// `query` compiled for this collection, its dynamic values resolved for `accountability`.
    private func plan(_ query: Query, accountability: Accountability?, access: ActionAccess?, within: JSONValue?,
                      keyed: Bool = false) async throws -> ReadPlan {
        var query = query
        if let accountability {
            let values = DynamicValues(accountability: accountability, database: database)
            if let filter = query.filter { query.filter = try await values.resolve(filter) }
            if let deep = query.deep { query.deep = try await values.resolve(deep) }
        }
        var compiler = QueryCompiler(snapshot: snapshot, access: access, within: within)
        compiler.keyed = keyed
        return try compiler.compile(query, collection: schema)
    }

    /// A primary key given as a string or a number, as text.
    public static func keyText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let s): s
        case .int(let i): String(i)
        default: nil
        }
    }

    /// Column/value pairs for an INSERT or UPDATE from a JSON object; fields outside `writable` are refused.
    public func values(_ payload: JSONValue, writable: Set<String>) throws(CMSError) -> [(String, DatabaseValue)] {
        guard case .object(let object, let keys) = payload else { throw CMSError.invalidPayload("Payload must be an object") }
        var out: [(String, DatabaseValue)] = []
        for key in keys {
            guard writable.contains(key), let field = schema.field(key) else {
                throw CMSError.forbiddenField(key, schema.name)
            }
            out.append((key, try FieldValues.database(object[key]!, field)))
        }
        return out
    }

    public func insert(_ values: [(String, DatabaseValue)], on connection: any DatabaseConnection) throws {
        let dialect = connection.dialect
        let sql = "INSERT INTO \(dialect.quote(schema.name)) (\(values.map { dialect.quote($0.0) }.joined(separator: ", "))) VALUES (\(values.map { _ in "?" }.joined(separator: ", ")))"
        try CMSError.mappingConstraints(of: schema.name, writing: values, on: connection) { try connection.execute(sql, values.map(\.1), writing: schema.name) }
    }

    /// Returns how many rows changed (0 = no such key).
    @discardableResult
    public func update(_ key: String, _ values: [(String, DatabaseValue)], on connection: any DatabaseConnection) throws -> Int {
        let dialect = connection.dialect
        guard !values.isEmpty else { return try connection.query("SELECT 1 FROM \(dialect.quote(schema.name)) WHERE \(dialect.quote(schema.primaryKey)) = ?", [.text(key)]).count }
        let sql = "UPDATE \(dialect.quote(schema.name)) SET \(values.map { "\(dialect.quote($0.0)) = ?" }.joined(separator: ", ")) WHERE \(dialect.quote(schema.primaryKey)) = ?"
        return try CMSError.mappingConstraints(of: schema.name, writing: values, on: connection) { try connection.execute(sql, values.map(\.1) + [.text(key)], writing: schema.name) }
    }

    @discardableResult
    public func delete(_ keys: [String], on connection: any DatabaseConnection) throws -> Int {
        guard !keys.isEmpty else { return 0 }
        let dialect = connection.dialect
        let sql = "DELETE FROM \(dialect.quote(schema.name)) WHERE \(dialect.quote(schema.primaryKey)) IN (\(keys.map { _ in "?" }.joined(separator: ", ")))"
        return try CMSError.mappingConstraints(of: schema.name) { try connection.execute(sql, keys.map(DatabaseValue.text), writing: schema.name) }
    }

}
