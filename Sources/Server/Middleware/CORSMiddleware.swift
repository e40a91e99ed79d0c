import Hummingbird

/// CORS as Directus configures it (`CORS_*`). Preflight requests are answered here with 204.
struct DepotCORSMiddleware: RouterMiddleware {
    typealias Context = DepotRequestContext
    let configuration: CORSConfiguration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard configuration.enabled, let origin = request.headers[.origin], let allowed = allowedOrigin(origin) else {
            return try await next(request, context)
        }
        var response: Response
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = configuration.methods
            response.headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? configuration.allowedHeaders
            response.headers[.accessControlMaxAge] = String(configuration.maxAge)
        } else {
            response = try await next(request, context)
            response.headers[.accessControlExposeHeaders] = configuration.exposedHeaders
        }
        response.headers[.accessControlAllowOrigin] = allowed
        // Credentials go only with an origin named back: `*` with credentials would let any site read answers
        // made with the visitor's cookies, and browsers refuse the pair anyway.
        if configuration.credentials, allowed != "*" { response.headers[.accessControlAllowCredentials] = "true" }
        if allowed != "*" { response.headers[values: .vary].append("Origin") }
        return response
    }

    private func allowedOrigin(_ origin: String) -> String? {
        switch configuration.origin {
        case .none: nil
        case .any: "*"
        case .reflect: origin
        case .list(let origins): origins.contains(origin) ? origin : nil
        }
    }
}
