import Database
import Foundation

/// Users: reads through the items query path; updating oneself. Writes to other users come with access control.
public final class UsersService: Sendable {
    /// Writes to oneself go through the items path, under the caller's own update rules on `directus_users`.
    private let items: ItemsService
    /// `directus_users` through the items query path (`/users`, `/users/:id`, `/users/me`).
    public let store: CollectionStore
    private let guardian: CollectionGuard

    public init(database: any Database, items: ItemsService, permissions: PermissionsResolver? = nil, system: SchemaSnapshot = .system) {
        self.items = items
        self.store = system.store("directus_users", database: database)
        self.guardian = CollectionGuard(permissions: permissions, store: store)
    }

    /// Reads the caller's record with the query language, under the caller's read rules on `directus_users`;
    /// `{id}` alone when those don't reach it, as Directus. No user → 401 INVALID_CREDENTIALS.
    public func me(_ accountability: Accountability, query: Query = Query()) async throws -> JSONValue {
        guard let id = accountability.user else { throw CMSError.invalidCredentials }
        do {
            if let user = try await store.readOne(id, query: query, accountability: accountability, access: try await guardian.readAccess(accountability)) {
                return user
            }
        } catch let error as CMSError where error.code == "FORBIDDEN" {}
        return .object([("id", .string(id))])
    }

    /// Updates the caller's own record with the same permission check as `PATCH /users/:id` (fields, item filter,
    /// validation, presets; passwords hashed), then re-reads it.
    public func updateMe(_ accountability: Accountability, payload: JSONValue, query: Query = Query()) async throws -> JSONValue {
        guard let id = accountability.user else { throw CMSError.invalidCredentials }
        guard case .object = payload else { throw CMSError.invalidPayload("Payload must be an object") }
        try await items.update("directus_users", keys: [id], payload, accountability: accountability, system: true)
        return try await me(accountability, query: query)
    }
}
