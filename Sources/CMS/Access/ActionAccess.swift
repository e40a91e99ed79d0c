/// A caller's rules for one action (`read`, `create`, …), per collection, with dynamic values already resolved.
public struct ActionAccess: Sendable {
    public let action: String
    private let collections: [String: CollectionAccess]

    init(action: String, rules: [PermissionRule]) {
        self.action = action
        var grouped: [String: [PermissionRule]] = [:]
        for rule in rules where rule.action == action { grouped[rule.collection, default: []].append(rule) }
        collections = grouped.mapValues(CollectionAccess.init)
    }

    /// The rules on `name`; nil = none, the action is FORBIDDEN there.
    func collection(_ name: String) -> CollectionAccess? { collections[name] }
}

/// The rules of one action on one collection, merged as Directus merges policies: item filters OR-ed, fields
/// united, and a field that only some rules allow shown only on the items those rules reach.
struct CollectionAccess: Sendable {
    let rules: [PermissionRule]

    /// Items the caller reaches; nil = all of them.
    var itemFilter: JSONValue? { Self.union(rules) }

    func allows(_ field: String) -> Bool { rules.contains { $0.allows(field) } }

    /// The fields the rules allow, in the order the rules name them (`*` = every field).
    var fields: [String] {
        var out: [String] = []
        for rule in rules { for field in rule.fields where !out.contains(field) { out.append(field) } }
        return out
    }

    /// FORBIDDEN for the first of `fields` outside the rules.
    func check(fields: [String], of collection: String) throws(CMSError) {
        for field in fields where !allows(field) { throw CMSError.forbiddenField(field, collection) }
    }

    /// Where `field` is visible when that is narrower than `itemFilter` (elsewhere it reads as null); nil = on
    /// every item the caller reaches.
    func fieldCondition(_ field: String) -> JSONValue? {
        let allowing = rules.filter { $0.allows(field) }
        guard allowing.count < rules.count, !allowing.isEmpty else { return nil }
        return Self.union(allowing)
    }

    /// Default values of the rules, the first rule's winning on a conflict.
    var presets: [(String, JSONValue)] {
        var out: [(String, JSONValue)] = []
        for rule in rules {
            guard case .object(let values, let keys)? = rule.presets else { continue }
            for key in keys where !out.contains(where: { $0.0 == key }) { out.append((key, values[key]!)) }
        }
        return out
    }

    /// What a written item must satisfy; nil when a rule asks nothing (rules are additive).
    var validation: JSONValue? {
        var filters: [JSONValue] = []
        for rule in rules {
            guard let filter = rule.validation, case .object(_, let keys) = filter, !keys.isEmpty else { return nil }
            filters.append(filter)
        }
        return filters.count == 1 ? filters[0] : .object([("_or", .array(filters))])
    }

    private static func union(_ rules: [PermissionRule]) -> JSONValue? {
        if rules.contains(where: \.coversAllItems) { return nil }
        let filters = rules.compactMap(\.filter)
        return filters.count == 1 ? filters[0] : .object([("_or", .array(filters))])
    }
}

/// What one caller may do in one request: everything (administrator), or its rules per action.
public struct CallerAccess: Sendable {
    public let admin: Bool
    private let actions: [String: ActionAccess]

    init(admin: Bool, actions: [String: ActionAccess]) {
        self.admin = admin
        self.actions = actions
    }

    /// Unrestricted: administrators and the server's own work.
    public static let unrestricted = CallerAccess(admin: true, actions: [:])

    /// The rules of `action`; nil = unrestricted.
    public func action(_ action: String) -> ActionAccess? {
        admin ? nil : actions[action] ?? ActionAccess(action: action, rules: [])
    }

    /// The rules of `action` on `collection`: nil = unrestricted; FORBIDDEN when there are none.
    func rules(_ action: String, on collection: String) throws(CMSError) -> CollectionAccess? {
        guard let rules = self.action(action) else { return nil }
        guard let found = rules.collection(collection) else { throw CMSError.forbidden }
        return found
    }
}
