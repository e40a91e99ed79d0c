import Database

/// Global flags of a caller: whether any of its policies grants admin or app access.
public struct GlobalFlags: Sendable, Equatable {
    public var admin: Bool
    public var app: Bool
}

/// Resolves the policies of a user: those attached to the user and to its role and the role's parents.
enum AccessResolver {
    /// Role tree depth limit; also stops a cycle in `parent`.
    static let maxRoleDepth = 10

    /// The `directus_policies` rows (`id`, flags, `ip_access`) attached to `user` or to a role of `role`'s tree;
    /// with neither, the public policies (attached to no role and no user).
    static func policies(user: String?, role: String?, on connection: any DatabaseConnection) throws -> [Row] {
        let roles = try roleTree(role, on: connection)
        var conditions: [String] = [], binds: [DatabaseValue] = []
        if let user { conditions.append("a.\"user\" = ?"); binds.append(.text(user)) }
        if !roles.isEmpty { conditions.append("a.role IN (\(roles.map { _ in "?" }.joined(separator: ", ")))"); binds += roles.map(DatabaseValue.text) }
        if user == nil, roles.isEmpty { conditions.append("(a.role IS NULL AND a.\"user\" IS NULL)") }
        return try connection.query("""
            SELECT DISTINCT p.id, p.admin_access, p.app_access, p.ip_access FROM directus_access a
            JOIN directus_policies p ON p.id = a.policy WHERE \(conditions.joined(separator: " OR "))
            """, binds)
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
