import CMS
import Hummingbird

/// Finds the caller's token (`?access_token`, `Authorization: Bearer`, or the session cookie) and sets
/// `context.accountability`. No token = the public caller.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = DepotRequestContext
    let authentication: AuthenticationService
    let sessionCookie: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let userAgent = request.headers[.userAgent]
        context.accountability = .publicCaller(ip: context.clientIP, userAgent: userAgent)
        // The auth routes work from their own payload; a stale token beside it must not block a refresh.
        let path = request.uri.path
        if path == "/server/ping" || path.hasPrefix("/auth/") { return try await next(request, context) }
        if let token = try token(in: request) {
            context.accountability = try await authentication.accountability(forToken: token, ip: context.clientIP, userAgent: userAgent)
        }
        return try await next(request, context)
    }

    private func token(in request: Request) throws -> String? {
        // Parsing every query parameter costs more than a byte search; most requests carry no access_token.
        let query = request.uri.query?.containsBytes("access_token") == true ? request.query("access_token") : nil
        var bearer: String?
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count == 2, parts[0].lowercased() == "bearer" { bearer = String(parts[1]) }
        }
        if let query, !query.isEmpty, let bearer, !bearer.isEmpty {
            throw CMSError.invalidPayload("The request uses more than one method for including an access token")
        }
        // An empty value is no token: it must never match a user whose static token is empty.
        return [query, bearer, request.cookie(sessionCookie)].compactMap { $0 }.first { !$0.isEmpty }
    }
}
