import Database
import Foundation
import Synchronization

/// The permissions of a caller: the union of the policies attached to its user, to its role and to the role's
/// parents — or the public policies (attached to neither) for a caller with no user and no role. Resolved once per
/// (user, role) and kept in memory until an access table changes (`invalidate`); `ip_access` is applied per
/// request, since it depends on the caller's address.
public final class PermissionsResolver: Sendable {
    struct Policy: Sendable {
        var admin: Bool
        var app: Bool
        var ipAccess: [String]
        var rules: [PermissionRule]
    }

    private let database: any Database
    private let cache = Mutex<(generation: Int, entries: [String: [Policy]])>((0, [:]))

    public init(database: any Database) { self.database = database }

    /// Drops every resolved entry (a role, policy, access row, permission or user changed).
    public func invalidate() {
        cache.withLock { $0 = ($0.generation + 1, [:]) }
    }

    public func permissions(for caller: Accountability) async throws -> CallerPermissions {
        let policies = try await policies(user: caller.user, role: caller.role).filter { policy in
            policy.ipAccess.isEmpty || caller.ip.map { IPAccess.allows($0, list: policy.ipAccess) } == true
        }
        return CallerPermissions(admin: policies.contains(where: \.admin), app: policies.contains(where: \.app),
                                 rules: policies.flatMap(\.rules))
    }

    func policies(user: String?, role: String?) async throws -> [Policy] {
        let key = "\(user ?? "")|\(role ?? "")"
        let (generation, cached) = cache.withLock { ($0.generation, $0.entries[key]) }
        if let cached { return cached }
        let loaded = try await database.read { connection in try Self.load(user: user, role: role, on: connection) }
        cache.withLock { if $0.generation == generation { $0.entries[key] = loaded } }
        return loaded
    }

    private static func load(user: String?, role: String?, on connection: any DatabaseConnection) throws -> [Policy] {
        let rows = try AccessResolver.policies(user: user, role: role, on: connection)
        guard !rows.isEmpty else { return [] }
        // Every rule of every policy in one statement, grouped by policy.
        let permissionsTable = CollectionSchema.system("directus_permissions")
        var rules: [String: [PermissionRule]] = [:]
        let ids = rows.map { $0["id"] }
        for rule in try connection.query("SELECT * FROM directus_permissions WHERE policy IN (\(ids.map { _ in "?" }.joined(separator: ", "))) ORDER BY id", ids) {
            let json = MetadataRow.json(rule, schema: permissionsTable)
            rules[rule["policy"].string ?? "", default: []].append(PermissionRule(
                collection: json["collection"]?.stringValue ?? "", action: json["action"]?.stringValue ?? "",
                filter: json["permissions"], validation: json["validation"], presets: json["presets"],
                fields: json["fields"]?.arrayItems?.compactMap(\.stringValue) ?? []))
        }
        return rows.map { row in
            let ipAccess = row["ip_access"].string?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
            return Policy(admin: row["admin_access"].bool == true, app: row["app_access"].bool == true, ipAccess: ipAccess,
                          rules: rules[row["id"].string ?? ""] ?? [])
        }
    }
}
