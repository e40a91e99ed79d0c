extension ItemsService {
    /// `POST /utils/revert/:revision`: writes a revision's `data` back to its item, as an update by the caller —
    /// so reading the revision and updating the item both need the caller's rights. Masked secrets in the
    /// revision (`**********`) are left out rather than written back as a value.
    public func revert(_ revision: String, accountability: Accountability) async throws {
        let row = try await readOne("directus_revisions", key: revision, query: Query(), accountability: accountability, system: true)
        guard case .object(var data, var keys)? = row["data"] else {
            throw CMSError.invalidPayload("Revision doesn't contain data to revert to")
        }
        guard let collection = row["collection"]?.stringValue, let item = row["item"].flatMap(CollectionStore.keyText),
              let schema = try await schemas.snapshot().collection(collection), schema.hasTable else { throw CMSError.forbidden }
        for key in keys where data[key] == FieldValues.concealed && schema.field(key)?.has("conceal") == true { data[key] = nil }
        keys.removeAll { data[$0] == nil }
        try await update(collection, keys: [item], .object(data, keys: keys), accountability: accountability, system: schema.isSystem)
    }
}
