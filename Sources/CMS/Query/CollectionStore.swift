import Database

/// Reads and writes the rows of one collection through the query language: the one path that files,
/// folders and (with the Items issue) every collection go through.
public struct CollectionStore: Sendable {
    public let schema: CollectionSchema
    let database: any Database

    public init(schema: CollectionSchema, database: any Database) {
        self.schema = schema
        self.database = database
    }

    /// Rows matching `query`, plus `meta` when asked for.
    public func readMany(_ query: Query) async throws -> (data: JSONValue, meta: JSONValue?) {
        let builder = SQLBuilder(schema: schema, dialect: database.dialect)
        let columns = builder.columns(query.fields)
        let (sql, binds) = try builder.select(query, columns: columns)
        let rows = try await database.query(sql, binds)
        let data = JSONValue.array(rows.map { encode($0, columns) })
        guard !query.meta.isEmpty else { return (data, nil) }
        var meta: [(String, JSONValue)] = []
        if query.meta.contains("total_count") {
            let (countSQL, _) = try builder.count(nil)
            meta.append(("total_count", .int(Int64(try await database.query(countSQL).first?["count"].int ?? 0))))
        }
        if query.meta.contains("filter_count") {
            let (countSQL, countBinds) = try builder.count(query.filter)
            meta.append(("filter_count", .int(Int64(try await database.query(countSQL, countBinds).first?["count"].int ?? 0))))
        }
        return (data, .object(meta))
    }

    /// One row by primary key, or nil.
    public func readOne(_ key: String, fields: [String] = ["*"]) async throws -> JSONValue? {
        var query = Query()
        query.fields = fields
        query.filter = .condition(field: schema.primaryKey, op: .eq, value: .string(key))
        query.limit = 1
        guard case .array(let rows) = try await readMany(query).data else { return nil }
        return rows.first
    }

    /// Column/value pairs for an INSERT or UPDATE from a JSON object; fields outside `writable` are refused.
    public func values(_ payload: JSONValue, writable: Set<String>) throws(CMSError) -> [(String, DatabaseValue)] {
        guard case .object(let object, let keys) = payload else { throw CMSError.invalidPayload("Payload must be an object") }
        var out: [(String, DatabaseValue)] = []
        for key in keys {
            guard writable.contains(key), let field = schema.field(key) else {
                throw CMSError(code: "FORBIDDEN", status: 403, message: "You don't have permission to access field \"\(key)\" in collection \"\(schema.name)\" or it does not exist.")
            }
            out.append((key, try FieldValues.database(object[key]!, field)))
        }
        return out
    }

    public func insert(_ values: [(String, DatabaseValue)], on connection: any DatabaseConnection) throws {
        let dialect = connection.dialect
        let sql = "INSERT INTO \(dialect.quote(schema.name)) (\(values.map { dialect.quote($0.0) }.joined(separator: ", "))) VALUES (\(values.map { _ in "?" }.joined(separator: ", ")))"
        try mappingConstraints { try connection.execute(sql, values.map(\.1)) }
    }

    /// Returns how many rows changed (0 = no such key).
    @discardableResult
    public func update(_ key: String, _ values: [(String, DatabaseValue)], on connection: any DatabaseConnection) throws -> Int {
        let dialect = connection.dialect
        guard !values.isEmpty else { return try connection.query("SELECT 1 FROM \(dialect.quote(schema.name)) WHERE \(dialect.quote(schema.primaryKey)) = ?", [.text(key)]).count }
        let sql = "UPDATE \(dialect.quote(schema.name)) SET \(values.map { "\(dialect.quote($0.0)) = ?" }.joined(separator: ", ")) WHERE \(dialect.quote(schema.primaryKey)) = ?"
        return try mappingConstraints { try connection.execute(sql, values.map(\.1) + [.text(key)]) }
    }

    @discardableResult
    public func delete(_ keys: [String], on connection: any DatabaseConnection) throws -> Int {
        guard !keys.isEmpty else { return 0 }
        let dialect = connection.dialect
        let sql = "DELETE FROM \(dialect.quote(schema.name)) WHERE \(dialect.quote(schema.primaryKey)) IN (\(keys.map { _ in "?" }.joined(separator: ", ")))"
        return try mappingConstraints { try connection.execute(sql, keys.map(DatabaseValue.text)) }
    }

    func encode(_ row: Row, _ columns: [String]) -> JSONValue {
        .object(columns.map { ($0, FieldValues.json(row[$0], schema.field($0)!)) })
    }

    private func mappingConstraints<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch DatabaseError.constraint(let violation) {
            throw CMSError.constraint(violation, collection: schema.name)
        }
    }
}
