import CMS
import Testing

/// One permission rule as `/permissions` takes it.
struct TestRule {
    var collection: String
    var action: String
    var fields: [String] = ["*"]
    var filter: JSONValue = .null
    var validation: JSONValue = .null
    var presets: JSONValue = .null

    var json: JSONValue {
        .object([("collection", .string(collection)), ("action", .string(action)), ("fields", .array(fields.map(JSONValue.string))),
                 ("permissions", filter), ("validation", validation), ("presets", presets)])
    }
}

extension DepotProcess {
    /// A user with a role of its own whose one policy (without app access) holds `rules`; returns its id and static token.
    func caller(_ name: String, rules: [TestRule], admin: String) async throws -> (id: String, token: String) {
        func post(_ path: String, _ body: JSONValue) async throws -> String {
            let reply = try await request("POST", path + "?fields=id", json: body, token: admin)
            #expect(reply.status == 200, "\(path): \(reply.text)")
            return CollectionStore.keyText(reply.json["data"]?["id"] ?? .null) ?? ""
        }
        let role = try await post("/roles", .object([("name", .string(name))]))
        // No app access: Directus grants app users rules of its own on the system collections, and these callers
        // are to have exactly `rules`.
        let policy = try await post("/policies", .object([("name", .string(name))]))
        _ = try await post("/access", .object([("role", .string(role)), ("policy", .string(policy))]))
        for rule in rules {
            guard case .object(var dict, var keys) = rule.json else { continue }
            dict["policy"] = .string(policy)
            keys.append("policy")
            _ = try await post("/permissions", .object(dict, keys: keys))
        }
        let token = "\(name)-token"
        let id = try await post("/users", .object([("email", .string("\(name)@example.com")), ("password", .string("\(name)-password")),
                                                   ("first_name", .string(name)), ("role", .string(role)), ("token", .string(token))]))
        return (id, token)
    }
}

/// `value` with every object's keys sorted: the test client's decoder sorts the keys of what it reads, so an
/// expected value is compared in the same order.
func keyed(_ value: JSONValue?) -> JSONValue? { value?.sortedKeys }
