import Crypto
import Database
import Foundation
import Storage
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

    /// A user's current status and role, read per request so a suspended or deleted user's tokens stop working.
    public struct Account: Sendable, Equatable {
        public let status: String
        public let role: String?
    }

    private struct Entries {
        var generation = 0
        var policies: [String: [Policy]] = [:]
        var accounts: [String: (account: Account?, until: ContinuousClock.Instant)] = [:]
        var staticTokens: [String: (user: String?, until: ContinuousClock.Instant)] = [:]
        var fingerprints: [String: String?] = [:]
    }

    private let database: any Database
    private let cache = Mutex(Entries())

    public init(database: any Database) { self.database = database }

    /// Drops every resolved entry (a role, policy, access row, permission or user changed).
    public func invalidate() {
        cache.withLock { $0 = Entries(generation: $0.generation + 1) }
    }

    /// Writes through the API invalidate at once; this bounds how long a change made in the database directly
    /// (or, until the cache bus exists, on another instance) goes unseen.
    public static let accountTTL: Duration = .seconds(2)

    /// The user's status and role; nil when there is no such user.
    public func account(_ user: String) async throws -> Account? {
        let now = ContinuousClock.now
        let (generation, cached) = cache.withLock { ($0.generation, $0.accounts[user]) }
        if let cached, cached.until > now { return cached.account }
        let row = try await database.query("SELECT status, role FROM directus_users WHERE id = ?", [.text(user)]).first
        let account = row.map { Account(status: $0["status"].string ?? "", role: $0["role"].string) }
        cache.withLock { if $0.generation == generation { $0.accounts[user] = (account, now + Self.accountTTL) } }
        return account
    }

    /// The active user whose static token is `token`; nil when none. Kept like `account` (dropped on any access
    /// change, read again after `accountTTL`), so a request with a static token reads no row.
    public func staticTokenUser(_ token: String) async throws -> String? {
        let now = ContinuousClock.now
        let (generation, cached) = cache.withLock { ($0.generation, $0.staticTokens[token]) }
        if let cached, cached.until > now { return cached.user }
        let rows = try await database.query("SELECT id FROM directus_users WHERE token = ? AND status = 'active'", [.text(token)])
        let user = rows.first?["id"].string
        cache.withLock { entries in
            guard entries.generation == generation else { return }
            if entries.staticTokens.count >= 10_000 { entries.staticTokens.removeAll() }
            entries.staticTokens[token] = (user, now + Self.accountTTL)
        }
        return user
    }

    /// The caller's rules for `actions` with their dynamic values (`$CURRENT_USER`, `$NOW`, …) resolved.
    public func access(for caller: Accountability, actions: [String]) async throws -> CallerAccess {
        let permissions = try await permissions(for: caller)
        if permissions.admin { return .unrestricted }
        let values = DynamicValues(accountability: caller, database: database)
        var byAction: [String: ActionAccess] = [:]
        for action in actions {
            var rules: [PermissionRule] = []
            for var rule in permissions.rules where rule.action == action {
                if let filter = rule.filter { rule.filter = try await values.resolve(filter) }
                if let validation = rule.validation { rule.validation = try await values.resolve(validation) }
                if let presets = rule.presets { rule.presets = try await values.resolve(presets) }
                rules.append(rule)
            }
            byAction[action] = ActionAccess(action: action, rules: rules)
        }
        return CallerAccess(admin: false, actions: byAction)
    }

    /// A digest of everything that shapes what `caller` may read — callers with equal digests get equal
    /// answers, so the response cache keys on it. nil when the rules depend on the time (`$NOW`): such
    /// answers are not cached. Kept until an access table changes, like the policies it is made from.
    public func fingerprint(for caller: Accountability) async throws -> String? {
        let policies = try await policies(user: caller.user, role: caller.role)
        let byAddress = policies.contains { !$0.ipAccess.isEmpty }
        let key = "\(caller.user ?? "")|\(caller.role ?? "")|\(byAddress ? caller.ip ?? "" : "")"
        let generation = cache.withLock { $0.generation }
        if let cached = cache.withLock({ $0.fingerprints[key] }) { return cached }
        let permissions = try await permissions(for: caller)
        let fingerprint = Self.digest(permissions, caller)
        cache.withLock { if $0.generation == generation, $0.fingerprints.count < 10_000 { $0.fingerprints[key] = fingerprint } }
        return fingerprint
    }

    static func digest(_ permissions: CallerPermissions, _ caller: Accountability) -> String? {
        if permissions.admin { return "admin" }
        var text = permissions.rules.map { rule in
            [rule.collection, rule.action, rule.fields.joined(separator: ","),
             String(decoding: (rule.filter ?? .null).serialized(), as: UTF8.self),
             String(decoding: (rule.presets ?? .null).serialized(), as: UTF8.self),
             String(decoding: (rule.validation ?? .null).serialized(), as: UTF8.self)].joined(separator: "|")
        }.sorted().joined(separator: "\n")
        if text.contains("$NOW") { return nil }
        if text.contains("$CURRENT_USER") { text += "\nuser:\(caller.user ?? "")" }
        if text.contains("$CURRENT_ROLE") { text += "\nrole:\(caller.role ?? "")" }
        return Hex.encode(SHA256.hash(data: Array(text.utf8)).prefix(16))
    }

    public func permissions(for caller: Accountability) async throws -> CallerPermissions {
        let policies = try await policies(user: caller.user, role: caller.role).filter { policy in
            policy.ipAccess.isEmpty || caller.ip.map { IPAccess.allows($0, list: policy.ipAccess) } == true
        }
        let admin = policies.contains(where: \.admin), app = policies.contains(where: \.app)
        // As Directus 11: app access brings the minimal permissions the admin app needs, added to the policies' own.
        return CallerPermissions(admin: admin, app: app, rules: policies.flatMap(\.rules) + (app && !admin ? AppAccessPermissions.rules : []))
    }

    func policies(user: String?, role: String?) async throws -> [Policy] {
        let key = "\(user ?? "")|\(role ?? "")"
        let (generation, cached) = cache.withLock { ($0.generation, $0.policies[key]) }
        if let cached { return cached }
        let loaded = try await database.read(tagging: ChangeEvent.accessTables) { connection in try Self.load(user: user, role: role, on: connection) }
        cache.withLock { if $0.generation == generation { $0.policies[key] = loaded } }
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
