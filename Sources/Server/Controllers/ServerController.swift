import CMS
import Hummingbird

/// `/server/ping`, `/server/health`, `/server/info`.
struct ServerController {
    let health: HealthCheck
    let settings: SettingsService
    let versions: [(String, String)]

    func register(on router: Router<DepotRequestContext>) {
        router.get("/server/ping") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: .init(string: "pong")))
        }
        router.get("/server/health") { _, context in
            let report = await health.run()
            // Only admins see which dependency is failing, as in Directus.
            var body: [(String, JSONValue)] = [("status", .string(report.status))]
            if context.accountability.admin { body.append(("checks", .object(report.checks))) }
            var response = JSONResponse.make(.object(body), status: report.status == "error" ? .serviceUnavailable : .ok,
                                             contentType: "application/health+json; charset=utf-8")
            response.headers[.cacheControl] = "no-store"
            return response
        }
        router.get("/server/info") { _, context in
            var data: [(String, JSONValue)] = [("project", try await settings.projectInfo())]
            if context.accountability.admin {
                data += versions.map { ($0.0, .object([("version", .string($0.1))])) }
            }
            return JSONResponse.data(.object(data))
        }
    }
}
