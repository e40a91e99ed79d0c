import Database

/// How many active users hold admin access — through a policy of their own or of a role in their role tree.
/// Writes to the access tables must not bring it to zero: at least one administrator always remains.
enum AdministratorCount {
    static let guardedTables: Set<String> = ["directus_users", "directus_roles", "directus_access", "directus_policies"]

    static func active(on connection: any DatabaseConnection) throws -> Int {
        let d = connection.dialect
        let access = try connection.query("""
            SELECT a.role, a.\(d.quote("user")) AS u FROM directus_access a JOIN directus_policies p ON p.id = a.policy
            WHERE p.admin_access = ?
            """, [.boolean(true)])
        let users = Set(access.compactMap { $0["u"].string })
        var adminRoles = Set(access.compactMap { $0["role"].string })
        guard !users.isEmpty || !adminRoles.isEmpty else { return 0 }
        // Roles below an admin role inherit its policies.
        var parents: [String: String] = [:]
        for row in try connection.query("SELECT id, parent FROM directus_roles") {
            if let id = row["id"].string, let parent = row["parent"].string { parents[id] = parent }
        }
        for role in parents.keys {
            var current: String? = role, depth = 0
            while let step = current, depth < AccessResolver.maxRoleDepth {
                if adminRoles.contains(step) { adminRoles.insert(role); break }
                current = parents[step]
                depth += 1
            }
        }
        func list(_ values: Set<String>) -> String { values.isEmpty ? "NULL" : values.map { _ in "?" }.joined(separator: ", ") }
        let sql = "SELECT COUNT(*) AS n FROM directus_users WHERE status = 'active' AND (id IN (\(list(users))) OR role IN (\(list(adminRoles))))"
        return try connection.query(sql, (Array(users) + Array(adminRoles)).map(DatabaseValue.text)).first?["n"].int ?? 0
    }
}
