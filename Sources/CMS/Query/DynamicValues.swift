import Database
import Foundation

/// Resolves a filter's dynamic values: `$NOW`, `$NOW(-1 day)`, `$CURRENT_USER`, `$CURRENT_ROLE`, `$CURRENT_ROLES` and
/// `$CURRENT_USER.<field>` / `$CURRENT_ROLE.<field>` (read from the caller's row).
struct DynamicValues {
    let accountability: Accountability
    let database: any Database

    func resolve(_ filter: JSONValue) async throws -> JSONValue {
        switch filter {
        case .object(let dict, let keys):
            var out: [String: JSONValue] = [:]
            for key in keys { out[key] = try await resolve(dict[key]!) }
            return .object(out, keys: keys)
        case .array(let items):
            var out: [JSONValue] = []
            for item in items { out.append(try await resolve(item)) }
            return .array(out)
        case .string(let text) where text.hasPrefix("$"):
            return try await value(text)
        default:
            return filter
        }
    }

    private func value(_ text: String) async throws -> JSONValue {
        // An answer that depends on the time can't be cached.
        if text.hasPrefix("$NOW") { ReadTracker.current?.markUncacheable() }
        if text == "$NOW" { return .string(ISO8601.string(from: Date())) }
        if text.hasPrefix("$NOW("), text.hasSuffix(")") {
            let adjustment = text.dropFirst(5).dropLast().trimmingCharacters(in: .whitespaces)
            guard let date = Self.adjust(Date(), by: adjustment) else { throw CMSError.invalidQuery("\"\(text)\" is not a valid date adjustment") }
            return .string(ISO8601.string(from: date))
        }
        // The caller's role and the roles above it (a role's policies reach its children).
        if text == "$CURRENT_ROLES" {
            guard let role = accountability.role else { return .array([]) }
            return .array(try await database.read(tagging: ["directus_roles"]) { try AccessResolver.roleTree(role, on: $0) }.map(JSONValue.string))
        }
        for (prefix, id, table) in [("$CURRENT_USER", accountability.user, "directus_users"), ("$CURRENT_ROLE", accountability.role, "directus_roles")] {
            guard text == prefix || text.hasPrefix(prefix + ".") else { continue }
            guard let id else { return .null }
            if text == prefix { return .string(id) }
            let field = String(text.dropFirst(prefix.count + 1))
            let schema = CollectionSchema.system(table)
            guard schema.field(field) != nil else { throw CMSError.invalidQuery("\"\(text)\": unknown field") }
            let store = CollectionStore(schema: schema, database: database)
            var query = Query()
            query.fields = [field]
            return try await store.readOne(id, query: query)?[field] ?? .null
        }
        return .string(text)
    }

    /// `-1 day`, `+2 hours`, `3 weeks` (units singular or plural: second … year).
    static func adjust(_ date: Date, by text: String) -> Date? {
        let parts = text.split(separator: " ")
        // Ten thousand years either way is past any date a database stores; more could overflow the calendar.
        guard parts.count == 2, let amount = Int(parts[0]), abs(amount) <= 10_000 * 366 * 86_400 else { return nil }
        var unit = parts[1].lowercased()
        if unit.hasSuffix("s") { unit.removeLast() }
        let components: [String: Calendar.Component] = ["second": .second, "minute": .minute, "hour": .hour, "day": .day,
                                                       "week": .weekOfYear, "month": .month, "year": .year]
        guard let component = components[unit] else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(byAdding: component, value: amount, to: date)
    }
}
