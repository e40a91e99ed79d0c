import Database

/// `directus_folders`: a tree by `parent`.
public final class FoldersService: Sendable {
    public let store: CollectionStore
    private let database: any Database
    static let writable: Set<String> = ["id", "name", "parent"]
    /// The caller's rules on `directus_folders`.
    let guardian: CollectionGuard

    public init(database: any Database, permissions: PermissionsResolver? = nil, system: SchemaSnapshot = .system) {
        self.database = database
        self.store = system.store("directus_folders", database: database)
        self.guardian = CollectionGuard(permissions: permissions, store: store)
    }

    public func create(_ payload: JSONValue, accountability: Accountability) async throws -> String {
        try await guardian.rules(accountability, "create", fields: payload.objectKeys ?? [])
        var values = try store.values(payload, writable: Self.writable)
        guard values.contains(where: { $0.0 == "name" && !$0.1.isNull }) else { throw CMSError.invalidPayload("\"name\" is required") }
        let id = values.first { $0.0 == "id" }?.1.string ?? RandomToken.uuid()
        values.removeAll { $0.0 == "id" }
        let row = [("id", DatabaseValue.text(id))] + values
        try await database.transaction { [store] in try store.insert(row, on: $0) }
        return id
    }

    public func update(_ id: String, _ payload: JSONValue, accountability: Accountability) async throws {
        try await guardian.checkReach(accountability, "update", keys: [id], fields: payload.objectKeys ?? [])
        let values = try store.values(payload, writable: Self.writable.subtracting(["id"]))
        if values.contains(where: { $0.0 == "parent" && $0.1.string == id }) { throw CMSError.invalidPayload("A folder can't be its own parent") }
        let changed = try await database.transaction { [store] in try store.update(id, values, on: $0) }
        guard changed > 0 else { throw CMSError.forbidden }
    }

    /// Deletes folders; their files and subfolders move to the root, as in Directus.
    public func delete(_ ids: [String], accountability: Accountability) async throws {
        guard !ids.isEmpty else { return }
        let marks = ids.map { _ in "?" }.joined(separator: ", ")
        let binds = ids.map(DatabaseValue.text)
        let found = try await database.query("SELECT id FROM directus_folders WHERE id IN (\(marks))", binds)
        guard found.count == Set(ids).count else { throw CMSError.forbidden }
        try await guardian.checkReach(accountability, "delete", keys: ids)
        try await database.transaction { [store] connection in
            try connection.execute("UPDATE directus_files SET folder = NULL WHERE folder IN (\(marks))", binds, writing: "directus_files")
            try connection.execute("UPDATE directus_folders SET parent = NULL WHERE parent IN (\(marks))", binds, writing: "directus_folders")
            try store.delete(ids, on: connection)
        }
    }
}
