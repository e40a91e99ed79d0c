import Database
import Logging
import Storage

/// `POST /utils/import/:collection`: a JSON array or CSV file of items upserted (by primary key when a row has
/// one that exists) in one transaction under the caller's rules — all rows or none. The upload is spooled to a
/// temporary file first, then read back one row at a time inside the transaction, so neither the file nor the
/// transaction waits on the network and memory stays one row deep.
public final class ImportService: Sendable {
    public enum Format: Sendable { case json, csv }

    public struct Configuration: Sendable {
        /// `FILES_MAX_UPLOAD_SIZE`: the largest file (413 above it); nil = no limit.
        public var maxFileSize: Int64?
        /// `MAX_PAYLOAD_SIZE`: the largest row, as no item may be larger than a request.
        public var maxRowBytes = 1 << 20
        /// `MAX_IMPORT_ERRORS`: row errors collected before the import stops.
        public var maxErrors = 1000
        public init() {}
    }

    private let items: ItemsService
    private let configuration: Configuration
    private let notifier: Notifier
    private let logger: Logger

    public init(items: ItemsService, configuration: Configuration, logger: Logger) {
        self.items = items
        self.configuration = configuration
        self.notifier = Notifier(database: items.database)
        self.logger = logger
    }

    /// The format of a file part's media type (parameters ignored); anything else is UNSUPPORTED_MEDIA_TYPE.
    public static func format(of mediaType: String?) throws(CMSError) -> Format {
        let type = mediaType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch type {
        case "application/json": return .json
        case "text/csv", "application/vnd.ms-excel": return .csv
        default: throw unsupported(type.isEmpty ? "application/octet-stream" : type, where: "file import")
        }
    }

    public static func unsupported(_ mediaType: String, where place: String) -> CMSError {
        CMSError(code: "UNSUPPORTED_MEDIA_TYPE", status: 415, message: "Unsupported media type \"\(mediaType)\" in \(place).",
                 extensions: ["mediaType": mediaType, "where": place])
    }

    /// What must hold before the body is read: the collection exists and the caller may both create and update
    /// its items (a system collection's only as an administrator).
    public func check(_ collection: String, accountability: Accountability) async throws {
        let schema = try await target(collection)
        let access = try await items.access(accountability, ["create", "update"])
        if schema.isSystem, !access.admin { throw CMSError.forbidden }
        _ = try access.rules("create", on: collection)
        _ = try access.rules("update", on: collection)
    }

    /// Receives the file, then imports it; with `background`, returns once the file is received and reports
    /// the outcome to the caller as a notification (Directus's `?background=true`).
    public func importFile(_ collection: String, format: Format, body: ByteStream, background: Bool,
                           accountability: Accountability) async throws {
        let schema = try await target(collection)
        let spool = try await SpoolFile.receive(body, limit: configuration.maxFileSize)
        guard background else {
            defer { spool.remove() }
            return try await run(schema, format, spool, accountability)
        }
        Task.detached { [self] in
            defer { spool.remove() }
            do {
                try await run(schema, format, spool, accountability)
                try await notify(accountability, subject: "Your import in \(collection) has been succesful") { name in
                    "\nHello \(name),\n\nYour import in \(collection) has been succesful.\n"
                }
            } catch {
                let reason = (error as? ImportFailure)?.entries.first?.error.message ?? (error as? CMSError)?.message ?? "An unexpected error occurred."
                logger.error("import into \(collection) failed", metadata: ["error": "\(String(reflecting: error))"])
                try? await notify(accountability, subject: "Your import in \(collection) has failed") { name in
                    "\nHello \(name),\n\nYour import in \(collection) has failed.\n\n\(reason)\n"
                }
            }
        }
    }

    private func target(_ collection: String) async throws -> CollectionSchema {
        guard let schema = try await items.schemas.snapshot().collection(collection), schema.hasTable else { throw CMSError.forbidden }
        return schema
    }

    private func run(_ schema: CollectionSchema, _ format: Format, _ spool: SpoolFile, _ accountability: Accountability) async throws {
        let store = try await items.store(schema.name, system: schema.isSystem)
        let path = spool.path, configuration = self.configuration
        try await items.write(store, accountability) { writer in
            let importer = RowImporter(writer: writer, schema: store.schema, maxErrors: configuration.maxErrors)
            switch format {
            case .json:
                var rows = try JSONArrayReader(path: path, maxElementBytes: configuration.maxRowBytes)
                try importer.run { try rows.next() }
            case .csv:
                var rows = try CSVRowReader(path: path, schema: store.schema, maxRowBytes: configuration.maxRowBytes)
                try importer.run { try rows.next() }
            }
        }
    }

    private func notify(_ accountability: Accountability, subject: String, message: @escaping @Sendable (String) -> String) async throws {
        guard let user = accountability.user else { return }
        try await notifier.send(to: user, subject: subject, message: message)
    }
}

/// Writes an import's rows one by one on the transaction's connection. Each row runs inside a savepoint, so a
/// refused row leaves nothing behind and the next row can still be tried (PostgreSQL would otherwise refuse
/// every later statement); the errors are collected and the whole transaction is rolled back at the end.
struct RowImporter {
    let writer: ItemWriter
    let schema: CollectionSchema
    let maxErrors: Int

    func run(_ next: () throws -> JSONValue?) throws {
        var tracker = ImportErrorTracker(limit: maxErrors)
        let connection = writer.connection
        var number = 0
        while !tracker.shouldStop, let row = try next() {
            number += 1
            if schema.singleton, number > 1 {
                throw CMSError.invalidPayload("Cannot import multiple records into singleton collection \(schema.name)")
            }
            try connection.execute("SAVEPOINT depot_import_row")
            do {
                try upsert(row)
                try connection.execute("RELEASE SAVEPOINT depot_import_row")
            } catch let error as CMSError {
                try connection.execute("ROLLBACK TO SAVEPOINT depot_import_row")
                try connection.execute("RELEASE SAVEPOINT depot_import_row")
                tracker.add(error, row: number)
            }
        }
        if let failure = tracker.failure { throw failure }
    }

    /// Updates the item the row names by an existing primary key (the singleton's one row), else creates it.
    private func upsert(_ row: JSONValue) throws {
        let d = writer.connection.dialect
        let table = d.quote(schema.name), pk = d.quote(schema.primaryKey)
        if schema.singleton {
            if let key = try writer.connection.query("SELECT \(pk) AS k FROM \(table) LIMIT 1").first?["k"].string {
                return try writer.update(schema, key: key, row)
            }
            _ = try writer.create(schema, row)
            return
        }
        if let key = row[schema.primaryKey].flatMap(CollectionStore.keyText), let field = schema.field(schema.primaryKey),
           let bound = try? FieldValues.database(.string(key), field),
           try !writer.connection.query("SELECT 1 FROM \(table) WHERE \(pk) = ?", [bound]).isEmpty {
            return try writer.update(schema, key: key, row)
        }
        _ = try writer.create(schema, row)
    }
}
