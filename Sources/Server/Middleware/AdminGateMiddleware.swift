import CMS
import Hummingbird

/// Until permissions exist (the Access issue), Directus's data and system routes are for administrators only:
/// any other caller gets 403 FORBIDDEN there, before routing, so it learns nothing about what exists.
/// `/auth`, `/server`, the caller's own `/users/me` and `/permissions/me` stay open; unknown paths stay 404 ROUTE_NOT_FOUND.
struct AdminGateMiddleware: RouterMiddleware {
    typealias Context = DepotRequestContext

    /// Directus's routers (its `app.ts`), except `/auth` and `/server`.
    static let gatedPrefixes: Set<Substring> = [
        "access", "activity", "assets", "collections", "comments", "dashboards", "extensions", "fields", "files",
        "flows", "folders", "graphql", "items", "notifications", "operations", "panels", "permissions", "policies",
        "presets", "relations", "revisions", "roles", "schema", "settings", "shares", "translations", "users",
        "utils", "versions",
    ]
    static let open: Set<String> = ["/users/me", "/permissions/me"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if !context.accountability.admin, !Self.open.contains(path),
           let first = path.split(separator: "/").first, Self.gatedPrefixes.contains(first) {
            throw CMSError.forbidden
        }
        return try await next(request, context)
    }
}
