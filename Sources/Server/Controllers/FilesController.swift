import CMS
import Hummingbird
import Storage

/// `/files`: multipart uploads streamed to storage, imports, metadata and deletion.
struct FilesController {
    let files: FilesService
    let items: ItemsService
    let http: CurlSession
    let maxPayloadSize: Int

    func register(on router: Router<DepotRequestContext>) {
        let reads = CollectionReads(items: items, collection: files.store.schema.name)
        router.get("/files") { request, context in try await reads.list(request, context) }
        router.on("/files", method: .search) { request, context in try await reads.search(request, context, maxPayloadSize: maxPayloadSize) }
        router.get("/files/:id") { request, context in try await reads.one(try context.parameters.require("id"), request, context) }
        router.post("/files") { request, context in
            guard let form = MultipartFormReader(request, limits: .init(fieldBytes: maxPayloadSize)) else { throw Self.notMultipart }
            var ids: [String] = []
            try await form.forEachFile { fields, part in
                ids.append(try await files.upload(context.accountability, metadata: fields, filename: part.filename,
                                                  declaredType: part.contentType, body: form.partStream()))
            }
            guard !ids.isEmpty else { throw CMSError.invalidPayload("No file was uploaded") }
            return try await reads.written(ids, single: ids.count == 1, request, context)
        }
        router.post("/files/import") { request, context in
            let payload = try await request.jsonBody(limit: maxPayloadSize)
            guard let url = payload["url"]?.stringValue else { throw CMSError.invalidPayload("\"url\" is required") }
            let id = try await files.importFile(context.accountability, url: url, data: payload["data"], http: http)
            return try await reads.written([id], single: true, request, context)
        }
        router.patch("/files/:id") { request, context in
            let id = try context.parameters.require("id")
            if let form = MultipartFormReader(request, limits: .init(fieldBytes: maxPayloadSize)) {
                let fields = try await form.forEachFile { fields, part in
                    try await files.replace(id, accountability: context.accountability, metadata: fields, filename: part.filename,
                                            declaredType: part.contentType, body: form.partStream())
                }
                if !fields.isEmpty { try await files.update(id, accountability: context.accountability, payload: files.formPayload(fields)) }
            } else {
                try await files.update(id, accountability: context.accountability, payload: try await request.jsonBody(limit: maxPayloadSize))
            }
            return try await reads.written([id], single: true, request, context)
        }
        router.patch("/files") { request, context in
            let changes = try await batch(try await request.jsonBody(limit: maxPayloadSize), context)
            try await files.update(changes, accountability: context.accountability)
            return try await reads.written(changes.map { $0.id }, single: false, request, context)
        }
        router.delete("/files/:id") { _, context in
            try await files.delete([try context.parameters.require("id")], accountability: context.accountability)
            return JSONResponse.noContent
        }
        router.delete("/files") { request, context in
            try await files.delete(try await request.deleteKeys(limit: maxPayloadSize), accountability: context.accountability)
            return JSONResponse.noContent
        }
    }

    /// A batch PATCH as each file's change: an array of files with their `id`, or `data` for the files named by
    /// `keys` or matched by `query` (among those the caller may read and update).
    private func batch(_ payload: JSONValue, _ context: DepotRequestContext) async throws -> [(id: String, payload: JSONValue)] {
        if let array = payload.arrayItems {
            return try array.map { item throws(CMSError) in
                guard let id = item["id"]?.stringValue else { throw CMSError.invalidPayload("Each file needs its \"id\"") }
                return (id, item)
            }
        }
        guard let data = payload["data"], case .object = data else { throw CMSError.invalidPayload("\"data\" must be an object") }
        switch (payload["keys"], payload["query"]) {
        case (.array(let keys)?, nil): return keys.compactMap(CollectionStore.keyText).map { ($0, data) }
        case (nil, let query?):
            let keys = try await items.keys(files.store.schema.name, matching: try QueryParser.parse(object: query, limits: items.limits),
                                            for: "update", accountability: context.accountability, system: true)
            return keys.map { ($0, data) }
        default: throw CMSError.invalidPayload("Give either \"keys\" or \"query\"")
        }
    }

    static let notMultipart = CMSError(code: "UNSUPPORTED_MEDIA_TYPE", status: 415,
                                       message: "Unsupported media type: uploads are multipart/form-data.")
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        out.reserveCapacity(count)
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
