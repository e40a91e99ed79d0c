import CMS
import HTTPTypes
import Hummingbird

/// Items routes (GET, SEARCH, POST, PATCH, DELETE; singletons at the collection path): `/items/:collection` for
/// user collections, or one system collection at its own path (`/roles` → `directus_roles`).
struct ItemsController {
    let items: ItemsService
    let maxPayloadSize: Int
    /// nil: `/items/:collection`; else the path and table of one system collection.
    var systemCollection: (path: String, table: String)? = nil
    /// Only the list reads (GET and SEARCH at the path), where Directus's other routes there are not items routes.
    var listOnly = false

    private var base: String { systemCollection?.path ?? "/items/:collection" }
    private var system: Bool { systemCollection != nil }

    private func collection(_ context: DepotRequestContext) throws -> String {
        try systemCollection?.table ?? context.parameters.require("collection")
    }

    func register(on router: Router<DepotRequestContext>) {
        router.get(RouterPath(base)) { request, context in
            try await reads(context).list(request, context)
        }
        router.on(RouterPath(base), method: .search) { request, context in
            try await reads(context).search(request, context, maxPayloadSize: maxPayloadSize)
        }
        if listOnly { return }
        router.get(RouterPath(base + "/:id")) { request, context in
            try await reads(context).one(try context.parameters.require("id"), request, context)
        }
        router.post(RouterPath(base)) { request, context in
            let collection = try collection(context)
            let payload = try await request.jsonBody(limit: maxPayloadSize)
            if try await items.store(collection, system: system).schema.singleton { throw CMSError(code: "ROUTE_NOT_FOUND", status: 404, message: "Route doesn't exist.") }
            let keys = try await items.create(collection, payload.arrayItems ?? [payload], accountability: context.accountability, system: system)
            return try await answer(collection, keys, single: payload.arrayItems == nil, request, context)
        }
        router.patch(RouterPath(base)) { request, context in
            let collection = try collection(context)
            let payload = try await request.jsonBody(limit: maxPayloadSize)
            if try await items.store(collection, system: system).schema.singleton {
                try await items.upsertSingleton(collection, payload, accountability: context.accountability, system: system)
                return try await reads(context).list(request, context)
            }
            let keys: [String]
            if let array = payload.arrayItems {
                keys = try await items.updateBatch(collection, array, accountability: context.accountability, system: system)
            } else {
                guard let data = payload["data"], case .object = data else { throw CMSError.invalidPayload("\"data\" must be an object") }
                keys = try await batchKeys(collection, payload, for: "update", context)
                try await items.update(collection, keys: keys, data, accountability: context.accountability, system: system)
            }
            return try await answer(collection, keys, single: false, request, context)
        }
        router.patch(RouterPath(base + "/:id")) { request, context in
            let collection = try collection(context), id = try context.parameters.require("id")
            try await items.update(collection, keys: [id], try await request.jsonBody(limit: maxPayloadSize), accountability: context.accountability, system: system)
            return try await answer(collection, [id], single: true, request, context)
        }
        router.delete(RouterPath(base + "/:id")) { _, context in
            try await items.delete(try collection(context), keys: [try context.parameters.require("id")],
                                   accountability: context.accountability, system: system)
            return JSONResponse.noContent
        }
        router.delete(RouterPath(base)) { request, context in
            let collection = try collection(context)
            let payload = try await request.jsonBody(limit: maxPayloadSize)
            var keys = payload.arrayItems?.compactMap(CollectionStore.keyText) ?? []
            if payload.arrayItems == nil { keys = try await batchKeys(collection, payload, for: "delete", context) }
            try await items.delete(collection, keys: keys, accountability: context.accountability, system: system)
            return JSONResponse.noContent
        }
    }

    private func reads(_ context: DepotRequestContext) throws -> CollectionReads {
        CollectionReads(items: items, collection: try collection(context), system: system)
    }

    /// `{"keys": […]}` or `{"query": {…}}`, exactly one of them.
    private func batchKeys(_ collection: String, _ payload: JSONValue, for action: String, _ context: DepotRequestContext) async throws -> [String] {
        switch (payload["keys"], payload["query"]) {
        case (.array(let keys)?, nil): return keys.compactMap(CollectionStore.keyText)
        case (nil, let query?):
            return try await items.keys(collection, matching: try QueryParser.parse(object: query, limits: items.limits), for: action,
                                        accountability: context.accountability, system: system)
        default: throw CMSError.invalidPayload("Give either \"keys\" or \"query\"")
        }
    }

    /// The written items re-read with the request's query.
    private func answer(_ collection: String, _ keys: [String], single: Bool, _ request: Request, _ context: DepotRequestContext) async throws -> Response {
        try await CollectionReads(items: items, collection: collection, system: system).written(keys, single: single, request, context)
    }
}
