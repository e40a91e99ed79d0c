import Database
import Foundation
import Storage

/// Called after a file's bytes were replaced or deleted, to drop what was made from them (image derivatives).
public typealias FileContentRemoved = @Sendable (_ fileID: String) async throws -> Void

/// `directus_files`: uploads streamed to a storage location, imports, metadata, deletion of the bytes with the row.
public final class FilesService: Sendable {
    public let store: CollectionStore
    let database: any Database
    let storage: StorageLocations
    private let inspector: any ImageInspector
    private let contentRemoved: FileContentRemoved
    /// Uploads between their first byte and their row (`depot_pending_uploads`).
    private let pending: PendingUploads
    let configuration: FilesConfiguration
    /// The caller's rules on `directus_files`.
    let guardian: CollectionGuard
    let permissions: PermissionsResolver?
    /// `/assets`'s answers to "which file, and may this caller read it", kept between requests.
    public let assetLookups = AssetLookups()

    /// Fields a caller may set on upload; the rest are Depot's to fill. (A PATCH sets what `FileEdit` allows.)
    static let writable: Set<String> = [
        "title", "description", "tags", "location", "folder", "filename_download", "focal_point_x", "focal_point_y",
        "metadata", "charset", "duration", "embed",
    ]

    public init(database: any Database, storage: StorageLocations, inspector: any ImageInspector, configuration: FilesConfiguration,
                permissions: PermissionsResolver? = nil, system: SchemaSnapshot = .system,
                contentRemoved: @escaping FileContentRemoved = { _ in }) {
        self.database = database
        self.storage = storage
        self.inspector = inspector
        self.contentRemoved = contentRemoved
        self.configuration = configuration
        self.store = system.store("directus_files", database: database)
        self.guardian = CollectionGuard(permissions: permissions, store: store)
        self.permissions = permissions
        self.pending = PendingUploads(database: database, writer: .current)
    }

    /// Streams one uploaded file to storage and records it; returns its id. `metadata` holds the form fields
    /// sent before the file (strings, as multipart carries them). Nothing is left behind on failure.
    public func upload(_ accountability: Accountability, metadata: [(String, String)], filename: String?,
                       declaredType: String?, body: ByteStream) async throws -> String {
        let given = metadata.filter { $0.0 != "storage" && $0.0 != "type" }
        let rules = try await guardian.rules(accountability, "create", fields: given.map(\.0))
        var values = try formValues(given)
        for (key, value) in rules?.presets ?? [] where Self.writable.contains(key) && !values.contains(where: { $0.0 == key }) {
            if let field = store.schema.field(key) { values.append((key, try FieldValues.database(value, field))) }
        }
        let location = metadata.last { $0.0 == "storage" }?.1 ?? storage.defaultName
        guard storage.names.contains(location) else { throw CMSError.invalidPayload("\"storage\" must be one of \(storage.names.joined(separator: ", "))") }
        let driver = try storage.driver(location)
        let id = RandomToken.uuid()
        let name = values.first { $0.0 == "filename_download" }?.1.string ?? filename ?? id
        // The upload is recorded before its first byte is written and the record ends with the row's commit,
        // so a crash in between leaves a record naming the object, for start-up to remove (PendingUploads).
        var record: String?
        let type: String, stored: StoredObject, image: ImageDetails?
        do {
            (type, stored, image) = try await ingest(body, declaredType: declaredType, filename: name, driver: driver, key: { type in
                let ext = MediaTypeSniffer.fileExtension(name) ?? MediaTypeSniffer.defaultExtension(type)
                return ext.map { "\(id).\($0)" } ?? id
            }, willWrite: { [pending] key in
                record = try await pending.begin(location: location, key: key)
            })
        } catch {
            // A failed write leaves no object behind.
            if let record { await discard(nil, driver: driver, record: record) }
            throw error
        }
        let key = stored.key

        values.removeAll { $0.0 == "filename_download" }
        values += [
            ("id", .text(id)), ("storage", .text(location)), ("filename_disk", .text(key)),
            ("filename_download", .text(name)), ("type", .text(type)), ("filesize", .integer(stored.size)),
            ("uploaded_by", accountability.user.map(DatabaseValue.text) ?? .null), ("uploaded_on", .timestamp(Date())),
        ]
        if !values.contains(where: { $0.0 == "title" }) { values.append(("title", .text(Self.title(from: name)))) }
        values += ImageColumns.upload(image, sha256: stored.sha256, allowList: configuration.metadataAllowList, given: Set(values.map(\.0)))
        let row = values
        let lease = record!
        do {
            try await database.transaction { [store, pending] in
                try PendingUploads.finish(lease, writer: pending.writer, on: $0)
                try store.insert(row, on: $0)
            }
        } catch {
            await discard(key, driver: driver, record: lease)
            throw error
        }
        return id
    }

    /// Removes what a failed upload left — its object, then its pending record — even when the request was
    /// cancelled. What cannot be removed now stays recorded and is reconciled at the next start.
    private func discard(_ key: String?, driver: any StorageDriver, record: String) async {
        await Task { [pending] in
            if let key {
                do { try await driver.delete(key) } catch { return }
            }
            try? await pending.abandon(record)
        }.value
    }

    /// Replaces a file's bytes (same key: readers see the old or the new file, never a mix) and drops its derivatives.
    /// `metadata` (the form fields before the file) is set as a PATCH sets it, `storage` and `type` aside: the
    /// location stays and the type is the new bytes'.
    public func replace(_ id: String, accountability: Accountability, metadata: [(String, String)], filename: String?,
                        declaredType: String?, body: ByteStream) async throws {
        guard id.isUUIDText,
              let current = try await database.query("SELECT storage, filename_disk, filename_download FROM directus_files WHERE id = ?", [.text(id)]).first,
              let location = current["storage"].string, let key = current["filename_disk"].string else { throw CMSError.forbidden }
        let edit = try FileEdit(id: id, payload: formPayload(metadata.filter { $0.0 != "storage" && $0.0 != "type" }), store: store)
        guard edit.filenameDisk == nil else { throw CMSError.invalidPayload("\"filename_disk\" can't change while the file's bytes are replaced") }
        try await guardian.checkReach(accountability, "update", keys: [id], fields: edit.fields)
        let driver = try storage.driver(location)
        var values = edit.values
        let name = filename ?? current["filename_download"].string ?? key
        let (type, stored, image) = try await ingest(body, declaredType: declaredType, filename: name, driver: driver) { _ in key }
        values += ImageColumns.replace(image, sha256: stored.sha256, allowList: configuration.metadataAllowList, given: Set(values.map(\.0)))
        values += [
            ("type", .text(type)), ("filesize", .integer(stored.size)),
        ] + stamps(accountability)
        if let filename, !values.contains(where: { $0.0 == "filename_download" }) { values.append(("filename_download", .text(filename))) }
        let row = values
        try await database.transaction { [store] in try store.update(id, row, on: $0) }
        try await contentRemoved(id)
    }

    /// Updates one file's metadata from a JSON object (see `FileEdit`); a new `filename_disk` renames its object.
    public func update(_ id: String, accountability: Accountability, payload: JSONValue) async throws {
        try await update([(id, payload)], accountability: accountability)
    }

    /// Updates files, each with its own payload, all or none. `filename_disk` changes one file at a time.
    public func update(_ changes: [(id: String, payload: JSONValue)], accountability: Accountability) async throws {
        guard !changes.isEmpty else { return }
        let edits = try changes.map { change throws(CMSError) in try FileEdit(id: change.id, payload: change.payload, store: store) }
        if edits.count > 1, edits.contains(where: { $0.filenameDisk != nil }) {
            throw CMSError.invalidPayload("\"filename_disk\" can only be changed for one file at a time")
        }
        // Not a file id: no file, as for an unknown one.
        guard edits.allSatisfy({ $0.id.isUUIDText }) else { throw CMSError.forbidden }
        var fields: [String] = []
        for edit in edits { for field in edit.fields where !fields.contains(field) { fields.append(field) } }
        try await guardian.checkReach(accountability, "update", keys: edits.map(\.id), fields: fields)

        var rename: FileRename?
        if let edit = edits.first, let target = edit.filenameDisk {
            guard let current = try await database.query("SELECT storage, filename_disk FROM directus_files WHERE id = ?", [.text(edit.id)]).first,
                  let location = current["storage"].string else { throw CMSError.forbidden }
            guard let key = current["filename_disk"].string else { throw CMSError.serviceUnavailable("storage", "the file has no stored object") }
            if key != target {
                rename = try await FileRename.begin(location: location, driver: try storage.driver(location), from: key, to: target,
                                                    pending: pending, database: database)
            }
        }
        let stamps = stamps(accountability)
        let rows = edits.map { edit in (edit.id, edit.values + stamps + (edit.filenameDisk.map { [("filename_disk", DatabaseValue.text($0))] } ?? [])) }
        do {
            try await database.transaction { [store, rename] connection in
                try rename?.commit(on: connection)
                for (id, values) in rows {
                    guard try store.update(id, values, on: connection) > 0 else { throw CMSError.forbidden }
                }
            }
        } catch {
            await rename?.abandon()
            throw error
        }
        await rename?.finish()
    }

    /// `modified_on` and `modified_by`: Depot's to set on every change.
    private func stamps(_ accountability: Accountability) -> [(String, DatabaseValue)] {
        [("modified_by", accountability.user.map(DatabaseValue.text) ?? .null), ("modified_on", .timestamp(Date()))]
    }

    /// Deletes the rows, then each file's original and derivatives. Unknown ids → FORBIDDEN, nothing deleted.
    public func delete(_ ids: [String], accountability: Accountability) async throws {
        guard !ids.isEmpty else { return }
        let marks = ids.map { _ in "?" }.joined(separator: ", ")
        let rows = try await database.query("SELECT id, storage, filename_disk FROM directus_files WHERE id IN (\(marks))", ids.map(DatabaseValue.text))
        guard rows.count == Set(ids).count else { throw CMSError.forbidden }
        try await guardian.checkReach(accountability, "delete", keys: ids)
        try await database.transaction { [store] in try store.delete(ids, on: $0) }
        for row in rows {
            guard let id = row["id"].string, let location = row["storage"].string else { continue }
            if let key = row["filename_disk"].string { try await storage.driver(location).delete(key) }
            try await contentRemoved(id)
        }
    }

    /// Sniffs the type from the first bytes (refusing types outside the allow list before anything is stored),
    /// streams the bytes to the key chosen for that type, and reads an image's header from what was stored.
    private func ingest(_ body: ByteStream, declaredType: String?, filename: String, driver: any StorageDriver,
                        key: (String) -> String, willWrite: (String) async throws -> Void = { _ in })
                        async throws -> (String, StoredObject, ImageDetails?) {
        let ingest = IngestStream(body, limit: configuration.maxUploadSize)
        let type = MediaTypeSniffer.resolve(head: try await ingest.head(), declared: declaredType, filename: filename)
        guard configuration.allows(type) else {
            throw CMSError(code: "UNSUPPORTED_MEDIA_TYPE", status: 415, message: "Unsupported media type \"\(type)\".")
        }
        let target = key(type)
        try await willWrite(target)
        let stored = try await write(ingest, to: target, driver: driver, type: type)
        let image = type.hasPrefix("image/")
            ? await inspector.inspect(target, in: driver, size: stored.size, prefix: ingest.prefix,
                                      keep: ImageColumns.selection(configuration.metadataAllowList))
            : nil
        return (type, stored, image)
    }

    private func write(_ ingest: IngestStream, to key: String, driver: any StorageDriver, type: String) async throws -> StoredObject {
        do {
            return try await driver.write(key, body: ingest.stream(), options: WriteOptions(contentType: type))
        } catch StorageError.tooLarge(let limit) {
            throw CMSError(code: "CONTENT_TOO_LARGE", status: 413, message: "Uploaded content is too large (limit \(limit) bytes).")
        } catch let error as StorageError {
            throw CMSError.serviceUnavailable("storage", "\(error)")
        }
    }

    /// Multipart form fields as column values: strings converted by the field's type (JSON fields parsed).
    private func formValues(_ fields: [(String, String)]) throws(CMSError) -> [(String, DatabaseValue)] {
        try store.values(formPayload(fields), writable: Self.writable)
    }

    /// Multipart form fields as a JSON payload: JSON and integer fields parsed, the rest strings.
    public func formPayload(_ fields: [(String, String)]) -> JSONValue {
        var pairs: [(String, JSONValue)] = []
        for (name, text) in fields {
            let kind = store.schema.field(name)?.type
            if kind == .json || kind == .integer, let parsed = try? JSONValue.parse(Array(text.utf8)) { pairs.append((name, parsed)) }
            else { pairs.append((name, .string(text))) }
        }
        return .object(pairs)
    }

    /// "my-holiday_photo.jpg" → "My Holiday Photo" (Directus's title formatting, simplified).
    static func title(from filename: String) -> String {
        let base = filename.lastIndex(of: ".").map { String(filename[..<$0]) } ?? filename
        return base.replacingOccurrences(of: "_", with: " ").replacingOccurrences(of: "-", with: " ")
            .split(separator: " ").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
    }
}
