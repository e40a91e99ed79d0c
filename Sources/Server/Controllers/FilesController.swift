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
                if !fields.isEmpty { try await files.update(id, accountability: context.accountability, payload: .object(fields.map { ($0.0, .string($0.1)) })) }
            } else {
                try await files.update(id, accountability: context.accountability, payload: try await request.jsonBody(limit: maxPayloadSize))
            }
            return try await reads.written([id], single: true, request, context)
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
