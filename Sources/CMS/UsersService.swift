import Database
import Foundation

/// The caller's own user record (`/users/me`). The full users collection, with permissions, comes with the
/// items query path; this service covers reading and updating oneself.
public final class UsersService: Sendable {
    private let database: any Database
    private let hasher: PasswordHasher

    /// Columns a user may change on their own record without further permissions.
    static let selfWritable: Set<String> = [
        "first_name", "last_name", "email", "password", "token", "location", "title", "description", "tags",
        "avatar", "language", "appearance", "theme_dark", "theme_light", "theme_light_overrides",
        "theme_dark_overrides", "email_notifications", "text_direction",
    ]
    static let jsonColumns: Set<String> = ["tags", "auth_data", "theme_light_overrides", "theme_dark_overrides"]
    static let booleanColumns: Set<String> = ["email_notifications"]
    /// Returned as `**********` when set, never in clear (Directus's `conceal`).
    static let concealed: Set<String> = ["password", "token", "tfa_secret"]
    static let columns = [
        "id", "first_name", "last_name", "email", "password", "location", "title", "description", "tags", "avatar",
        "language", "tfa_secret", "status", "role", "token", "last_access", "last_page", "provider",
        "external_identifier", "auth_data", "email_notifications", "appearance", "theme_dark", "theme_light",
        "theme_light_overrides", "theme_dark_overrides", "text_direction",
    ]

    public init(database: any Database, hasher: PasswordHasher) {
        self.database = database
        self.hasher = hasher
    }

    /// Reads the caller's record, limited to `fields` (`*` = all). No user → 401 INVALID_CREDENTIALS, as Directus.
    public func me(_ accountability: Accountability, fields: [String] = ["*"]) async throws -> JSONValue {
        guard let id = accountability.user else { throw CMSError.invalidCredentials }
        let selected = try Self.select(fields)
        let list = selected.map(database.dialect.quote).joined(separator: ", ")
        guard let row = try await database.query("SELECT \(list) FROM directus_users WHERE id = ?", [.text(id)]).first else {
            throw CMSError.forbidden
        }
        return .object(selected.map { ($0, Self.json(row[$0], column: $0)) })
    }

    /// Updates the caller's own record; only `selfWritable` columns, passwords hashed, then re-read.
    public func updateMe(_ accountability: Accountability, payload: JSONValue, fields: [String] = ["*"]) async throws -> JSONValue {
        guard let id = accountability.user else { throw CMSError.invalidCredentials }
        guard case .object(let values, let keys) = payload else { throw CMSError.invalidPayload("Payload must be an object") }
        var assignments: [String] = []
        var binds: [DatabaseValue] = []
        for key in keys {
            guard Self.selfWritable.contains(key) else {
                throw CMSError(code: "FORBIDDEN", status: 403, message: "You don't have permission to access field \"\(key)\" in collection \"directus_users\" or it does not exist.")
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
        return try await me(accountability, fields: fields)
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

    static func select(_ fields: [String]) throws(CMSError) -> [String] {
        var out: [String] = []
        for field in fields {
            if field == "*" { out += columns.filter { !out.contains($0) }; continue }
            guard columns.contains(field) else {
                throw CMSError(code: "FORBIDDEN", status: 403, message: "You don't have permission to access field \"\(field)\" in collection \"directus_users\" or it does not exist.")
            }
            if !out.contains(field) { out.append(field) }
        }
        return out
    }

    static func json(_ value: DatabaseValue, column: String) -> JSONValue {
        if value.isNull { return .null }
        if concealed.contains(column) { return .string("**********") }
        if booleanColumns.contains(column) { return value.bool.map(JSONValue.bool) ?? .null }
        if jsonColumns.contains(column), let text = value.string { return (try? JSONValue.parse(Array(text.utf8))) ?? .string(text) }
        return value.string.map(JSONValue.string) ?? .null
    }
}
