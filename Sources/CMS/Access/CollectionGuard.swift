/// The caller's rules for services that write one system collection without `ItemWriter` (files, folders,
/// settings). Without a resolver (tools and tests) nothing is restricted.
public struct CollectionGuard: Sendable {
    let permissions: PermissionsResolver?
    let store: CollectionStore

    public init(permissions: PermissionsResolver?, store: CollectionStore) {
        self.permissions = permissions
        self.store = store
    }

    /// The caller's rules for `action` (nil = unrestricted); FORBIDDEN without any, or for a field outside them.
    @discardableResult
    func rules(_ caller: Accountability, _ action: String, fields: [String] = []) async throws -> CollectionAccess? {
        guard let permissions else { return nil }
        let rules = try await permissions.access(for: caller, actions: [action]).rules(action, on: store.schema.name)
        try rules?.check(fields: fields, of: store.schema.name)
        return rules
    }

    /// The read rules to read this collection with (nil = unrestricted).
    func readAccess(_ caller: Accountability) async throws -> ActionAccess? {
        try await permissions?.access(for: caller, actions: ["read"]).action("read")
    }

    /// FORBIDDEN unless every key is an item the caller may `action` (an unknown key included).
    func checkReach(_ caller: Accountability, _ action: String, keys: [String], fields: [String] = []) async throws {
        guard let rules = try await rules(caller, action, fields: fields), let filter = rules.itemFilter, !keys.isEmpty else { return }
        let pk = store.schema.primaryKey
        var query = Query()
        query.fields = [pk]
        query.limit = nil
        query.filter = .object([(pk, .object([("_in", .array(keys.map(JSONValue.string)))]))])
        let found = try await store.readMany(query, within: filter).data.arrayItems?.count ?? 0
        guard found == Set(keys).count else { throw CMSError.forbidden }
    }
}
