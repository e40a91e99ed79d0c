import CMS
import Hummingbird

/// `GET /settings`, `PATCH /settings` (the service applies the caller's rules).
struct SettingsController {
    let settings: SettingsService
    let maxPayloadSize: Int

    func register(on router: Router<DepotRequestContext>) {
        router.get("/settings") { request, context in
            JSONResponse.data(try await settings.read(fields: try request.query().fields ?? ["*"], caller: context.accountability))
        }
        router.patch("/settings") { request, context in
            try await settings.update(try await request.jsonBody(limit: maxPayloadSize), caller: context.accountability)
            do {
                return JSONResponse.data(try await settings.read(fields: ["*"], caller: context.accountability))
            } catch let error as CMSError where error.code == "FORBIDDEN" {
                return JSONResponse.noContent
            }
        }
    }
}
