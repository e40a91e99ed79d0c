import CMS
import HTTPTypes
import Hummingbird

/// `/users` and `/users/:id` through the items query path; `/users/me` to read and update oneself.
struct UsersController {
    let users: UsersService
    let maxPayloadSize: Int

    func register(on router: Router<DepotRequestContext>) {
        let reads = CollectionReads(store: users.store)
        router.get("/users") { request, context in try await reads.list(request, context) }
        router.on("/users", method: HTTPRequest.Method("SEARCH")!) { request, context in
            try await reads.search(try await request.jsonBody(limit: maxPayloadSize), context)
        }
        router.get("/users/me") { request, context in
            JSONResponse.data(try await users.me(context.accountability, query: try request.query()))
        }
        router.patch("/users/me") { request, context in
            let payload = try await request.jsonBody(limit: maxPayloadSize)
            return JSONResponse.data(try await users.updateMe(context.accountability, payload: payload, query: try request.query()))
        }
        router.get("/users/:id") { request, context in try await reads.one(try context.parameters.require("id"), request) }
    }
}
