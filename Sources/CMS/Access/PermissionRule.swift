/// One `directus_permissions` row of a policy the caller has.
public struct PermissionRule: Sendable, Equatable {
    public var collection: String
    public var action: String
    /// The item filter; nil or `{}` = every item.
    public var filter: JSONValue?
    public var validation: JSONValue?
    public var presets: JSONValue?
    /// Field names; `*` = all.
    public var fields: [String]

    func allows(_ field: String) -> Bool { fields.contains("*") || fields.contains(field) }

    /// Whether the rule reaches every item.
    public var coversAllItems: Bool {
        guard let filter else { return true }
        if case .object(_, let keys) = filter { return keys.isEmpty }
        return filter.isNull
    }
}

/// What a caller may do: admin, or the rules of its policies per collection and action.
public struct CallerPermissions: Sendable {
    public var admin: Bool
    public var app: Bool
    public var rules: [PermissionRule]

    public func rules(_ collection: String, _ action: String) -> [PermissionRule] {
        rules.filter { $0.collection == collection && $0.action == action }
    }

    /// `/permissions/me`: per collection and action, `access` (`full` when a rule reaches every item, else
    /// `partial`), the union of `fields` and the merged `presets`. Administrators get `full` on `collections`.
    public func summary(collections: [String]) -> JSONValue {
        let actions = ["create", "read", "update", "delete", "share"]
        var out: [(String, JSONValue)] = []
        for collection in admin ? collections : Array(Set(rules.map(\.collection))).sorted() {
            var perAction: [(String, JSONValue)] = []
            for action in actions {
                let found = admin ? [] : rules(collection, action)
                let access = admin || found.contains(where: \.coversAllItems) ? "full" : found.isEmpty ? "none" : "partial"
                var fields: [String] = admin ? ["*"] : []
                for rule in found { for field in rule.fields where !fields.contains(field) { fields.append(field) } }
                var presets = JSONValue.object([])
                for rule in found { if let value = rule.presets, !value.isNull { presets = presets.merging(value) } }
                perAction.append((action, .object([("access", .string(access)), ("fields", .array(fields.map(JSONValue.string))),
                                                   ("presets", presets)])))
            }
            out.append((collection, .object(perAction)))
        }
        return .object(out)
    }
}
