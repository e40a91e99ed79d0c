import CMS
import Hummingbird

/// `/users/me`. The rest of `/users` arrives with the items query path.
struct UsersController {
    let users: UsersService
    let maxPayloadSize: Int

    func register(on router: Router<DepotRequestContext>) {
        router.get("/users/me") { request, context in
            JSONResponse.data(try await users.me(context.accountability, fields: request.listQuery("fields") ?? ["*"]))
        }
        router.patch("/users/me") { request, context in
            let payload = try await request.jsonBody(limit: maxPayloadSize)
            return JSONResponse.data(try await users.updateMe(context.accountability, payload: payload, fields: request.listQuery("fields") ?? ["*"]))
        }
    }
}
