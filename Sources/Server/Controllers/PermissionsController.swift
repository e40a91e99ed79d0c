import CMS
import Hummingbird

/// `/permissions/me`: what the caller may do, per collection and action (the rest of `/permissions` is the items
/// routes on `directus_permissions`).
struct PermissionsController {
    let permissions: PermissionsResolver
    let schemas: SchemaCache

    func register(on router: Router<DepotRequestContext>) {
        router.get("/permissions/me") { _, context in
            var resolved = try await permissions.permissions(for: context.accountability)
            resolved.admin = resolved.admin || context.accountability.admin
            return JSONResponse.data(resolved.summary(collections: try await schemas.snapshot().names))
        }
    }
}
