import CMS
import Hummingbird

/// `/folders`.
struct FoldersController {
    let folders: FoldersService
    let items: ItemsService
    let maxPayloadSize: Int

    func register(on router: Router<DepotRequestContext>) {
        let reads = CollectionReads(items: items, collection: folders.store.schema.name)
        router.get("/folders") { request, context in try await reads.list(request, context) }
        router.on("/folders", method: .search) { request, context in try await reads.search(request, context, maxPayloadSize: maxPayloadSize) }
        router.get("/folders/:id") { request, context in try await reads.one(try context.parameters.require("id"), request, context) }
        router.post("/folders") { request, context in
            let payload = try await request.jsonBody(limit: maxPayloadSize)
            var ids: [String] = []
            for item in payload.arrayItems ?? [payload] { ids.append(try await folders.create(item, accountability: context.accountability)) }
            return try await reads.written(ids, single: payload.arrayItems == nil, request, context)
        }
        router.patch("/folders/:id") { request, context in
            let id = try context.parameters.require("id")
            try await folders.update(id, try await request.jsonBody(limit: maxPayloadSize), accountability: context.accountability)
            return try await reads.written([id], single: true, request, context)
        }
        router.delete("/folders/:id") { _, context in
            try await folders.delete([try context.parameters.require("id")], accountability: context.accountability)
            return JSONResponse.noContent
        }
        router.delete("/folders") { request, context in
            try await folders.delete(try await request.deleteKeys(limit: maxPayloadSize), accountability: context.accountability)
            return JSONResponse.noContent
        }
    }
}
