import CMS
import Hummingbird

/// `/folders`.
struct FoldersController {
    let folders: FoldersService
    let maxPayloadSize: Int

    func register(on router: Router<DepotRequestContext>) {
        let reads = CollectionReads(store: folders.store)
        router.get("/folders") { request, context in try await reads.list(request, context) }
        router.get("/folders/:id") { request, context in try await reads.one(try context.parameters.require("id"), request) }
        router.post("/folders") { request, _ in
            let payload = try await request.jsonBody(limit: maxPayloadSize)
            if case .array(let items) = payload {
                var created: [JSONValue] = []
                for item in items { created.append(try await reads.item(try await folders.create(item), request)) }
                return JSONResponse.data(.array(created))
            }
            return JSONResponse.data(try await reads.item(try await folders.create(payload), request))
        }
        router.patch("/folders/:id") { request, context in
            let id = try context.parameters.require("id")
            try await folders.update(id, try await request.jsonBody(limit: maxPayloadSize))
            return try await reads.one(id, request)
        }
        router.delete("/folders/:id") { _, context in
            try await folders.delete([try context.parameters.require("id")])
            return JSONResponse.noContent
        }
        router.delete("/folders") { request, _ in
            try await folders.delete(try await request.deleteKeys(limit: maxPayloadSize))
            return JSONResponse.noContent
        }
    }
}
