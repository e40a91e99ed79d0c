import CMS
import Hummingbird

/// `GET /settings`, `PATCH /settings` (admins; the gate in front says who).
struct SettingsController {
    let settings: SettingsService
    let maxPayloadSize: Int

    func register(on router: Router<DepotRequestContext>) {
        router.get("/settings") { request, _ in
            JSONResponse.data(try await settings.read(fields: try request.query().fields ?? ["*"]))
        }
        router.patch("/settings") { request, _ in
            try await settings.update(try await request.jsonBody(limit: maxPayloadSize))
            return JSONResponse.data(try await settings.read(fields: ["*"]))
        }
    }
}
