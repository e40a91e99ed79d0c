extension ItemsService {
    /// What Directus asks of a new comment before it is written: `comment`, `collection` and `item` given, and
    /// an item the caller may read (a comment never reveals or touches an item out of the caller's reach).
    func checkComments(_ payloads: [JSONValue], accountability: Accountability) async throws {
        for payload in payloads {
            for name in ["comment", "collection", "item"] where payload[name]?.isTruthy != true {
                throw CMSError.invalidPayload("\"\(name)\" is required")
            }
            guard let collection = payload["collection"]?.stringValue, let item = payload["item"].flatMap(CollectionStore.keyText) else {
                throw CMSError.forbidden
            }
            let snapshot = try await schemas.snapshot()
            guard let target = snapshot.collection(collection), target.hasTable else { throw CMSError.forbidden }
            var query = Query()
            query.fields = [target.primaryKey]
            let found = try await readMany(collection, keys: [item], query: query, accountability: accountability, system: target.isSystem)
            guard !found.isEmpty else { throw CMSError.forbidden }
        }
    }
}
