import Database
import Foundation

/// Users: reads through the items query path; updating oneself. Writes to other users come with access control.
public final class UsersService: Sendable {
    private let database: any Database
    private let hasher: PasswordHasher
    /// `directus_users` through the items query path (`/users`, `/users/:id`, `/users/me`).
    public let store: CollectionStore
    private let guardian: CollectionGuard

    /// Columns a user may change on their own record without further permissions.
    static let selfWritable: Set<String> = [
        "first_name", "last_name", "email", "password", "token", "location", "title", "description", "tags",
        "avatar", "language", "appearance", "theme_dark", "theme_light", "theme_light_overrides",
        "theme_dark_overrides", "email_notifications", "text_direction",
    ]
    static let jsonColumns: Set<String> = ["tags", "auth_data", "theme_light_overrides", "theme_dark_overrides"]
    static let booleanColumns: Set<String> = ["email_notifications"]

    public init(database: any Database, hasher: PasswordHasher, permissions: PermissionsResolver? = nil) {
        self.database = database
        self.hasher = hasher
        self.store = CollectionStore(schema: .system("directus_users"), database: database)
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

    /// Updates the caller's own record; only `selfWritable` columns, passwords hashed, then re-read.
    public func updateMe(_ accountability: Accountability, payload: JSONValue, query: Query = Query()) async throws -> JSONValue {
        guard let id = accountability.user else { throw CMSError.invalidCredentials }
        guard case .object(let values, let keys) = payload else { throw CMSError.invalidPayload("Payload must be an object") }
        var assignments: [String] = []
        var binds: [DatabaseValue] = []
        for key in keys {
            guard Self.selfWritable.contains(key) else {
                throw CMSError.forbiddenField(key, "directus_users")
            }
            assignments.append("\(database.dialect.quote(key)) = ?")
            binds.append(try await bind(values[key] ?? .null, column: key))
        }
        if !assignments.isEmpty {
            do {
                try await database.execute("UPDATE directus_users SET \(assignments.joined(separator: ", ")) WHERE id = ?", binds + [.text(id)])
            } catch let DatabaseError.constraint(violation) {
                throw CMSError.constraint(violation, collection: "directus_users")
            }
        }
        return try await me(accountability, query: query)
    }

    private func bind(_ value: JSONValue, column: String) async throws -> DatabaseValue {
        if case .null = value {
            guard column != "password" else { throw CMSError.invalidPayload("\"password\" can't be null") }
            return .null
        }
        if Self.jsonColumns.contains(column) { return .text(String(decoding: value.serialized(), as: UTF8.self)) }
        if Self.booleanColumns.contains(column) {
            guard let b = value.boolValue else { throw CMSError.invalidPayload("\"\(column)\" must be a boolean") }
            return .boolean(b)
        }
        guard let text = value.stringValue else { throw CMSError.invalidPayload("\"\(column)\" must be a string") }
        if column == "password" {
            guard !text.isEmpty else { throw CMSError.invalidPayload("\"password\" can't be empty") }
            return .text(try await hasher.hash(text))
        }
        if column == "email" { return .text(text.lowercased()) }
        if column == "token", text.isEmpty { throw CMSError.invalidPayload("\"token\" can't be empty (use null to remove it)") }
        return .text(text)
    }
}
