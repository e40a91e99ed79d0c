import CMS
import Hummingbird

/// `GET /extensions` and `PATCH /extensions/:id` (the rows of `directus_extensions`, in Directus's shape).
struct ExtensionsController {
    let extensions: ExtensionsService
    let maxPayloadSize: Int

    func register(on router: Router<DepotRequestContext>) {
        router.get("/extensions") { _, context in
            JSONResponse.data(try await extensions.readAll(caller: context.accountability))
        }
        router.patch("/extensions/:id") { request, context in
            JSONResponse.data(try await extensions.update(try context.parameters.require("id"), try await request.jsonBody(limit: maxPayloadSize),
                                                          caller: context.accountability))
        }
    }
}
