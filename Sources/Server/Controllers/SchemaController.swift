import CMS
import Hummingbird

/// `/collections`, `/fields`, `/relations`.
struct SchemaController {
    let schema: SchemaService
    let maxPayloadSize: Int
    /// `/activity` and `/revisions` are read through it.
    let items: ItemsService

    func register(on router: Router<DepotRequestContext>) {
        router.get("/collections") { _, context in JSONResponse.data(.array(try await schema.collections(caller: context.accountability))) }
        // Directus's SEARCH on /collections honours only `keys`.
        router.on("/collections", method: .search) { request, context in
            let keys = try await request.optionalJSONBody(limit: maxPayloadSize)?["keys"]?.arrayItems?.compactMap(\.stringValue)
            return JSONResponse.data(.array(try await schema.collections(caller: context.accountability, keys: keys)))
        }
        router.get("/collections/:collection") { _, context in JSONResponse.data(try await schema.collection(try context.parameters.require("collection"), caller: context.accountability)) }
        router.post("/collections") { request, context in
            let payload = try await request.jsonBody(limit: maxPayloadSize)
            try await schema.createCollection(payload, caller: context.accountability)
            return JSONResponse.data(try await schema.collection(payload["collection"]?.stringValue ?? "", caller: context.accountability))
        }
        router.patch("/collections/:collection") { request, context in
            let name = try context.parameters.require("collection")
            try await schema.updateCollection(name, try await request.jsonBody(limit: maxPayloadSize), caller: context.accountability)
            return JSONResponse.data(try await schema.collection(name, caller: context.accountability))
        }
        router.delete("/collections/:collection") { _, context in
            try await schema.deleteCollection(try context.parameters.require("collection"), caller: context.accountability)
            return JSONResponse.noContent
        }

        router.get("/fields") { _, context in JSONResponse.data(.array(try await schema.fields(caller: context.accountability))) }
        router.get("/fields/:collection") { _, context in JSONResponse.data(.array(try await schema.fields(try context.parameters.require("collection"), caller: context.accountability))) }
        router.get("/fields/:collection/:field") { _, context in
            JSONResponse.data(try await schema.field(try context.parameters.require("collection"), try context.parameters.require("field"), caller: context.accountability))
        }
        router.post("/fields/:collection") { request, context in
            let collection = try context.parameters.require("collection")
            let payload = try await request.jsonBody(limit: maxPayloadSize)
            try await schema.createField(collection, payload, caller: context.accountability)
            return JSONResponse.data(try await schema.field(collection, payload["field"]?.stringValue ?? "", caller: context.accountability))
        }
        router.patch("/fields/:collection/:field") { request, context in
            let collection = try context.parameters.require("collection"), field = try context.parameters.require("field")
            try await schema.updateField(collection, field, try await request.jsonBody(limit: maxPayloadSize), caller: context.accountability)
            return JSONResponse.data(try await schema.field(collection, field, caller: context.accountability))
        }
        router.delete("/fields/:collection/:field") { _, context in
            try await schema.deleteField(try context.parameters.require("collection"), try context.parameters.require("field"), caller: context.accountability)
            return JSONResponse.noContent
        }

        router.get("/relations") { _, context in JSONResponse.data(.array(try await schema.relations(caller: context.accountability))) }
        router.get("/relations/:collection") { _, context in JSONResponse.data(.array(try await schema.relations(try context.parameters.require("collection"), caller: context.accountability))) }
        router.post("/relations") { request, context in
            let payload = try await request.jsonBody(limit: maxPayloadSize)
            try await schema.createRelation(payload, caller: context.accountability)
            return JSONResponse.data(try await relation(payload["collection"]?.stringValue ?? "", payload["field"]?.stringValue ?? "", context))
        }
        router.get("/relations/:collection/:field") { _, context in
            let collection = try context.parameters.require("collection"), field = try context.parameters.require("field")
            return JSONResponse.data(try await relation(collection, field, context))
        }
        router.patch("/relations/:collection/:field") { request, context in
            let collection = try context.parameters.require("collection"), field = try context.parameters.require("field")
            try await schema.updateRelation(collection, field, try await request.jsonBody(limit: maxPayloadSize), caller: context.accountability)
            return JSONResponse.data(try await relation(collection, field, context))
        }
        router.delete("/relations/:collection/:field") { _, context in
            try await schema.deleteRelation(try context.parameters.require("collection"), try context.parameters.require("field"), caller: context.accountability)
            return JSONResponse.noContent
        }

        for (path, table) in [("/activity", "directus_activity"), ("/revisions", "directus_revisions")] {
            let reads = CollectionReads(items: items, collection: table)
            router.get(RouterPath(path)) { request, context in try await reads.list(request, context) }
            router.on(RouterPath(path), method: .search) { request, context in
                try await reads.search(request, context, maxPayloadSize: maxPayloadSize)
            }
            router.get(RouterPath(path + "/:id")) { request, context in try await reads.one(try context.parameters.require("id"), request, context) }
        }
    }

    private func relation(_ collection: String, _ field: String, _ context: DepotRequestContext) async throws -> JSONValue {
        guard let found = try await schema.relations(collection, caller: context.accountability).first(where: { $0["field"]?.stringValue == field }) else { throw CMSError.forbidden }
        return found
    }
}
