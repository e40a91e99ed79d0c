import Database

/// Global flags of a caller: whether any of its policies grants admin or app access.
public struct GlobalFlags: Sendable, Equatable {
    public var admin: Bool
    public var app: Bool
}

/// Resolves the policies of a user: those attached to the user and to its role and the role's parents.
struct AccessResolver: Sendable {
    let database: any Database

    /// Role tree depth limit; also stops a cycle in `parent`.
    static let maxRoleDepth = 10

    func globalFlags(user: String, role: String?) async throws -> GlobalFlags {
        try await database.read { connection in
            let roles = try Self.roleTree(role, on: connection)
            var sql = """
                SELECT p.admin_access, p.app_access FROM directus_access a
                JOIN directus_policies p ON p.id = a.policy WHERE a."user" = ?
                """
            if !roles.isEmpty { sql += " OR a.role IN (\(roles.map { _ in "?" }.joined(separator: ", ")))" }
            let rows = try connection.query(sql, [.text(user)] + roles.map { .text($0) })
            return GlobalFlags(admin: rows.contains { $0["admin_access"].bool == true },
                               app: rows.contains { $0["app_access"].bool == true })
        }
    }

    /// `role` and its parents, nearest first.
    static func roleTree(_ role: String?, on connection: any DatabaseConnection) throws -> [String] {
        var roles: [String] = []
        var next = role
        while let current = next, roles.count < maxRoleDepth, !roles.contains(current) {
            roles.append(current)
            next = try connection.query("SELECT parent FROM directus_roles WHERE id = ?", [.text(current)]).first?["parent"].string
        }
        return roles
    }
}
