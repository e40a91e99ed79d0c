import CMS
import Foundation
import Testing

/// Directus 11's app-access minimal permissions: a user whose policy has `app_access` and no rules of its own still
/// reads its own record, its roles, the settings and its own activity — what the admin app and the SDKs'
/// `readMe()` need — and nothing of other users.
@Suite struct AppAccessTests {
    @Test(arguments: Dialect.allCases)
    func appAccessGrantsTheMinimalPermissions(dialect: Dialect) async throws {
        guard let (depot, test) = try await HTTPTests.server(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        let admin = try await depot.adminToken()
        func post(_ path: String, _ body: JSONValue) async throws -> String {
            let reply = try await depot.request("POST", path, json: body, token: admin)
            #expect(reply.status == 200, "\(path): \(reply.text)")
            return CollectionStore.keyText(reply.json["data"]?["id"] ?? .null) ?? ""
        }
        let parent = try await post("/roles", .object([("name", "Staff")]))
        let role = try await post("/roles", .object([("name", "Writers"), ("parent", .string(parent))]))
        _ = try await post("/roles", .object([("name", "Others")]))
        let app = try await post("/policies", .object([("name", "App"), ("app_access", true)]))
        _ = try await post("/access", .object([("policy", .string(app)), ("role", .string(role))]))
        let me = try await post("/users", .object([("email", "wri@example.com"), ("password", "wri-password"), ("first_name", "Wri"), ("role", .string(role))]))
        _ = try await post("/users", .object([("email", "other@example.com"), ("password", "other-password"), ("role", .string(role))]))
        let login = try await depot.request("POST", "/auth/login", json: .object([("email", "wri@example.com"), ("password", "wri-password")]))
        let token = try #require(login.json["data"]?["access_token"]?.stringValue, "\(login.text)")

        let mine = try await depot.request("GET", "/users/me", token: token)
        #expect(mine.json["data"]?["email"] == "wri@example.com" && mine.json["data"]?["first_name"] == "Wri"
                && mine.json["data"]?["role"] == .string(role), "\(mine.text)")
        #expect(mine.json["data"]?["password"] == "**********")
        let users = try await depot.request("GET", "/users?fields=id", token: token)
        #expect(users.json["data"] == .array([.object([("id", .string(me))])]), "\(users.text)")
        // A field outside the rule is refused (on /users/me Directus answers `{id}` instead of 403).
        let token403 = try await depot.request("GET", "/users/\(me)?fields=token", token: token)
        #expect(token403.status == 403, "\(token403.text)")
        let roles = try await depot.request("GET", "/roles?fields=name&sort=name", token: token)
        #expect(roles.json["data"] == .array([.object([("name", "Staff")]), .object([("name", "Writers")])]), "\(roles.text)")
        #expect((try await depot.request("GET", "/settings", token: token)).status == 200)
        #expect((try await depot.request("GET", "/activity?filter[user][_neq]=\(me)&limit=1", token: token)).json["data"] == .array([]))
        #expect((try await depot.request("POST", "/roles", json: .object([("name", "Mine")]), token: token)).status == 403)

        // Without app access the same user reads nothing.
        try await depot.expectOK("PATCH", "/policies/\(app)", .object([("app_access", false)]), token: admin)
        #expect((try await depot.request("GET", "/roles", token: token)).status == 403)
    }
}
