import Foundation
import Logging

/// `POST /utils/export/:collection`: the items a query reads, with the caller's permissions, written in the
/// background as a CSV, JSON, XML or YAML file and stored through `FilesService` like an upload (storage
/// location, metadata, the caller's rules on `directus_files`). The caller is told through a notification.
public final class ExportService: Sendable {
    private let items: ItemsService
    private let files: FilesService
    private let notifier: Notifier
    private let logger: Logger
    /// Items read per query (Directus's `EXPORT_BATCH_SIZE`).
    let batchSize: Int

    public init(items: ItemsService, files: FilesService, batchSize: Int = 5000, logger: Logger) {
        self.items = items
        self.files = files
        self.notifier = Notifier(database: items.database)
        self.batchSize = max(1, batchSize)
        self.logger = logger
    }

    /// Checks the request (collection, format, query, read access), then starts the export and returns.
    /// `query` is the body's query object (no `limit` = every item); `file` the new file's fields.
    @discardableResult
    public func start(_ collection: String, query object: JSONValue, format name: String, file: JSONValue?,
                      accountability: Accountability) async throws -> Task<String?, Never> {
        guard let format = ExportFormat(rawValue: name) else {
            throw CMSError.invalidPayload("\"format\" must be one of \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard case .object = object else { throw CMSError.invalidPayload("\"query\" must be an object") }
        if let file, file.objectKeys == nil, !file.isNull { throw CMSError.invalidPayload("\"file\" must be an object") }
        guard let schema = try await items.schemas.snapshot().collection(collection), schema.hasTable else { throw CMSError.forbidden }
        var query = try QueryParser.parse(object: object, limits: items.limits)
        if object["limit"] == nil { query.limit = nil }
        // Read access is known now: a caller who could read nothing is told at once rather than by notification.
        _ = try await items.access(accountability, ["read"]).rules("read", on: collection)
        let request = ExportRequest(collection: collection, system: schema.isSystem, primaryKey: schema.primaryKey, query: query,
                                    format: format, file: file, accountability: accountability)
        // Detached: the export outlives the request and must not inherit its task-local state (read tracking).
        return Task.detached { [self] in await run(request) }
    }

    struct ExportRequest: Sendable {
        let collection: String
        let system: Bool
        let primaryKey: String
        let query: Query
        let format: ExportFormat
        let file: JSONValue?
        let accountability: Accountability
    }

    /// Writes and stores the file; returns its id (nil when the export failed, which is logged and notified).
    private func run(_ request: ExportRequest) async -> String? {
        let collection = request.collection
        do {
            let id = try await export(request)
            if let user = request.accountability.user {
                try await notifier.send(to: user, subject: "Your export of \(collection) is ready", collection: "directus_files", item: id) { name in
                    "\nHello \(name),\n\nYour export of \(collection) is ready.\n"
                }
            }
            return id
        } catch {
            logger.error("export of \(collection) failed", metadata: ["error": "\(String(reflecting: error))"])
            if let user = request.accountability.user {
                try? await notifier.send(to: user, subject: "Your export of \(collection) failed") { _ in
                    "Please contact your system administrator for more information."
                }
            }
            return nil
        }
    }

    private func export(_ request: ExportRequest) async throws -> String {
        let output = try await SpoolFile.create()
        defer { output.remove() }
        let assembler = ExportAssembler(format: request.format, output: output)
        var query = request.query
        // A stable order across batches: the primary key breaks ties.
        let sort = query.sort ?? []
        if !sort.contains(request.primaryKey), !sort.contains("-" + request.primaryKey) { query.sort = sort + [request.primaryKey] }
        let wanted = query.limit, start = query.offset + (query.page.map { max(0, $0 - 1) * (wanted ?? 0) } ?? 0)
        query.page = nil
        query.meta = []
        let batch = min(batchSize, items.limits.maxLimit ?? batchSize)
        var read = 0
        while wanted.map({ read < $0 }) ?? true {
            query.limit = min(batch, wanted.map { $0 - read } ?? batch)
            query.offset = start + read
            let rows = try await items.readMany(request.collection, query: query, accountability: request.accountability,
                                                system: request.system).data.arrayItems ?? []
            try await assembler.append(rows)
            read += rows.count
            if rows.count < query.limit! { break }
        }
        try await assembler.finish()

        let title = "export-\(request.collection)-\(ExportFormat.timestamp())"
        var metadata: [(String, String)] = []
        if case .object(let given, let keys)? = request.file {
            for key in keys {
                let value = given[key]!
                if value.isNull { continue }
                metadata.append((key, value.stringValue ?? String(decoding: value.serialized(), as: UTF8.self)))
            }
        }
        if !metadata.contains(where: { $0.0 == "title" }) { metadata.append(("title", title)) }
        let filename = metadata.last { $0.0 == "filename_download" }?.1 ?? "\(title).\(request.format.fileExtension)"
        metadata.removeAll { $0.0 == "filename_download" }
        return try await files.upload(request.accountability, metadata: metadata, filename: filename,
                                      declaredType: Self.mediaTypes[request.format], body: try await output.stream())
    }

    /// The stored file's type, as Directus records it.
    static let mediaTypes: [ExportFormat: String] = [.csv: "text/csv", .json: "application/json", .xml: "text/xml", .yaml: "text/yaml"]
}
