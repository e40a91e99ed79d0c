import Hummingbird
import Logging

/// Catches every error below it and answers with Directus's envelope.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = DepotRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var log = logger
            log[metadataKey: "request_id"] = "\(context.requestID)"
            return ErrorEnvelope.response(ErrorEnvelope.cmsError(for: error, path: request.uri.path, logger: log))
        }
    }
}
