import CMS
import Hummingbird

/// Directus's `/utils` routes: random strings, argon2 hashes, manual sort, revision revert, and the import
/// and export of a collection's items.
struct UtilitiesController {
    let items: ItemsService
    let hasher: PasswordHasher
    let imports: ImportService
    let exports: ExportService
    let maxPayloadSize: Int

    func register(on router: Router<DepotRequestContext>) {
        router.get("/utils/random/string") { request, _ in
            JSONResponse.data(.string(try RandomString.make(length: request.query("length"))))
        }
        router.post("/utils/hash/generate") { request, _ in
            let payload = try await request.jsonBody(limit: maxPayloadSize)
            return JSONResponse.data(.string(try await hasher.hash(try Self.required("string", in: payload))))
        }
        router.post("/utils/hash/verify") { request, _ in
            let payload = try await request.jsonBody(limit: maxPayloadSize)
            let string = try Self.required("string", in: payload), hash = try Self.required("hash", in: payload)
            return JSONResponse.data(.bool(try await hasher.check(string, against: hash)))
        }
        router.post("/utils/sort/:collection") { request, context in
            let payload = try await request.jsonBody(limit: maxPayloadSize)
            guard let item = payload["item"], let to = payload["to"] else { throw CMSError.invalidPayload("\"item\" and \"to\" are required") }
            try await items.sort(try context.parameters.require("collection"), item: item, to: to, accountability: context.accountability)
            return Response(status: .ok)
        }
        router.post("/utils/revert/:revision") { _, context in
            try await items.revert(try context.parameters.require("revision"), accountability: context.accountability)
            return JSONResponse.noContent
        }
        router.post("/utils/import/:collection") { request, context in
            do {
                try await importFile(request, context)
                return Response(status: .ok)
            } catch let failure as ImportFailure {
                return ErrorEnvelope.response(failure)
            }
        }
        router.post("/utils/export/:collection") { request, context in
            let payload = try await request.jsonBody(limit: maxPayloadSize)
            guard let query = payload["query"], query.isTruthy else { throw CMSError.invalidPayload("\"query\" is required") }
            guard let format = payload["format"]?.stringValue, !format.isEmpty else { throw CMSError.invalidPayload("\"format\" is required") }
            try await exports.start(try context.parameters.require("collection"), query: query, format: format, file: payload["file"],
                                    accountability: context.accountability)
            return JSONResponse.noContent
        }
    }

    /// The first file part is imported; further files are read past and ignored, as Directus does.
    private func importFile(_ request: Request, _ context: DepotRequestContext) async throws {
        let collection = try context.parameters.require("collection")
        guard let form = MultipartFormReader(request, limits: .init(fieldBytes: maxPayloadSize)) else {
            throw ImportService.unsupported(request.headers[.contentType] ?? "application/octet-stream", where: "Content-Type header")
        }
        try await imports.check(collection, accountability: context.accountability)
        let background = ["true", "1"].contains(request.query("background") ?? "")
        var imported = false
        try await form.forEachFile { _, part in
            guard !imported else {
                for try await _ in form.partStream() {}
                return
            }
            imported = true
            try await imports.importFile(collection, format: try ImportService.format(of: part.contentType), body: form.partStream(),
                                         background: background, accountability: context.accountability)
        }
        guard imported else { throw CMSError.invalidPayload("No file was included in the body") }
    }

    /// A string the payload must carry (Directus: present and not empty).
    private static func required(_ name: String, in payload: JSONValue) throws(CMSError) -> String {
        guard let value = payload[name], value.isTruthy else { throw CMSError.invalidPayload("\"\(name)\" is required") }
        guard let text = value.stringValue else { throw CMSError.invalidPayload("\"\(name)\" must be a string") }
        return text
    }
}
