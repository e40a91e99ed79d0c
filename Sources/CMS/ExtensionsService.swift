/// `directus_extensions` as Directus's `/extensions` answers it: each row's settings under `meta`, beside the
/// extension's manifest under `schema`. Depot runs no Directus extensions, so `schema` is always null; the rows a
/// Directus database holds are read (under the caller's rules) and their settings can be changed.
public struct ExtensionsService: Sendable {
    let items: ItemsService

    public init(items: ItemsService) {
        self.items = items
    }

    static let collection = "directus_extensions"

    public func readAll(caller: Accountability) async throws -> JSONValue {
        var query = Query()
        query.limit = nil
        let rows = try await items.readMany(Self.collection, query: query, accountability: caller, system: true).data
        return .array((rows.arrayItems ?? []).map(Self.output))
    }

    /// `PATCH /extensions/:id` with `{"meta": {…}}`: the settings change; the extension is answered as read after.
    public func update(_ id: String, _ payload: JSONValue, caller: Accountability) async throws -> JSONValue {
        guard let meta = payload["meta"], case .object = meta else { throw CMSError.invalidPayload("\"meta\" is required") }
        try await items.update(Self.collection, keys: [id], meta, accountability: caller, system: true)
        return Self.output(try await items.readOne(Self.collection, key: id, query: Query(), accountability: caller, system: true))
    }

    private static func output(_ row: JSONValue) -> JSONValue {
        .object([("id", row["id"] ?? .null), ("bundle", row["bundle"] ?? .null), ("schema", .null), ("meta", row)])
    }
}
