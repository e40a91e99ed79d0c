import CMS
import Hummingbird

/// `/users/me`: reading and updating oneself. The rest of `/users` is the items routes on `directus_users`.
struct UsersController {
    let users: UsersService
    let maxPayloadSize: Int

    func register(on router: Router<DepotRequestContext>) {
        router.get("/users/me") { request, context in
            JSONResponse.data(try await users.me(context.accountability, query: try request.query()))
        }
        router.patch("/users/me") { request, context in
            let payload = try await request.jsonBody(limit: maxPayloadSize)
            return JSONResponse.data(try await users.updateMe(context.accountability, payload: payload, query: try request.query()))
        }
    }
}
