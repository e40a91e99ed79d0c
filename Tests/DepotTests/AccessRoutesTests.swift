import CMS
import Foundation
import Testing

/// `/roles`, `/policies`, `/access`, `/permissions` and `/users` with the items routes and the query language,
/// on both dialects.
@Suite struct AccessRoutesTests {
    @Test(arguments: Dialect.allCases)
    func accessModelIsManagedThroughItsRoutes(dialect: Dialect) async throws {
        guard let (depot, test) = try await HTTPTests.server(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        let token = try await depot.adminToken()
        func send(_ method: String, _ path: String, _ body: JSONValue? = nil, token: String? = nil) async throws -> DepotProcess.Reply {
            try await depot.request(method, path, json: body, token: token ?? tokenOrAdmin)
        }
        let tokenOrAdmin = token

        let parent = try await send("POST", "/roles?fields=id,name", .object([("name", "Staff")]))
        #expect(parent.status == 200, "\(parent.text)")
        let parentID = parent.json["data"]?["id"] ?? .null
        #expect(parentID.stringValue?.count == 36, "a uuid key is generated")
        let role = try await send("POST", "/roles?fields=id,name,parent.name", .object([("name", "Editors"), ("parent", parentID)]))
        #expect(role.json["data"]?["parent"] == .object([("name", "Staff")]))
        let roleID = role.json["data"]?["id"] ?? .null

        let policy = try await send("POST", "/policies?fields=id,app_access,ip_access", .object([
            ("name", "Edit articles"), ("app_access", true), ("ip_access", .array(["10.0.0.0/8", "127.0.0.1"])),
        ]))
        #expect(policy.status == 200, "\(policy.text)")
        #expect(policy.json["data"]?["ip_access"] == .array(["10.0.0.0/8", "127.0.0.1"]))
        let policyID = policy.json["data"]?["id"] ?? .null
        #expect(try await send("POST", "/access", .object([("role", roleID), ("policy", policyID), ("sort", .int(1))])).status == 200)

        let permission = try await send("POST", "/permissions?fields=id,collection,action,fields,permissions,policy.name", .object([
            ("policy", policyID), ("collection", "articles"), ("action", "read"),
            ("permissions", .object([("status", .object([("_eq", "published")]))])), ("fields", .array(["id", "title"])),
        ]))
        #expect(permission.status == 200, "\(permission.text)")
        #expect(permission.json["data"]?["fields"] == .array(["id", "title"]))
        #expect(permission.json["data"]?["permissions"] == .object([("status", .object([("_eq", "published")]))]))
        #expect(permission.json["data"]?["policy"] == .object([("name", "Edit articles")]))
        let listed = try await send("GET", "/permissions?filter%5Bpolicy%5D%5Bname%5D%5B_eq%5D=Edit%20articles&fields=action&meta=filter_count")
        #expect(listed.json["data"] == .array([.object([("action", "read")])]) && listed.json["meta"]?["filter_count"] == .int(1))

        // Users: created with a hashed password (it logs in), read back concealed, updated, deleted.
        let user = try await send("POST", "/users?fields=id,email,password,role.name", .object([
            ("email", "editor@example.com"), ("password", "editor-password"), ("role", roleID),
        ]))
        #expect(user.status == 200, "\(user.text)")
        #expect(user.json["data"]?["password"] == "**********" && user.json["data"]?["role"] == .object([("name", "Editors")]))
        let userID = user.json["data"]?["id"]?.stringValue ?? ""
        let login = try await depot.request("POST", "/auth/login", json: .object([("email", "editor@example.com"), ("password", "editor-password")]))
        #expect(login.status == 200, "\(login.text)")
        let editorToken = login.json["data"]?["access_token"]?.stringValue ?? ""
        // The policy's app access brings Directus 11's minimal permissions: the editor reads its own record and roles.
        #expect(try await send("GET", "/users/me?fields=email,role.name", token: editorToken).json["data"]
                == .object([("email", "editor@example.com"), ("role", .object([("name", "Editors")]))]))
        #expect(try await send("GET", "/users?fields=id", token: editorToken).json["data"] == .array([.object([("id", .string(userID))])]))
        #expect(try await send("GET", "/roles?fields=name&sort=name", token: editorToken).json["data"]
                == .array([.object([("name", "Editors")]), .object([("name", "Staff")])]))
        // No rule on them: the rest of the access routes are FORBIDDEN to the editor.
        for path in ["/policies", "/access", "/permissions"] {
            #expect(try await send("GET", path, token: editorToken).status == 403, "\(path)")
        }
        // /permissions/me: the union over the user's role, the role's parent, and only the policies whose
        // ip_access admits the caller (127.0.0.1 here).
        func attachPolicy(_ name: String, ip: [String] = [], role: JSONValue?, _ rules: [(String, String, JSONValue)]) async throws {
            let made = try await send("POST", "/policies?fields=id", .object([("name", .string(name)), ("ip_access", .array(ip.map(JSONValue.string)))]))
            let id = made.json["data"]?["id"] ?? .null
            try await depot.expectOK("POST", "/access", .object([("role", role ?? .null), ("policy", id)]), token: token)
            for (collection, action, filter) in rules {
                try await depot.expectOK("POST", "/permissions", .object([("policy", id), ("collection", .string(collection)),
                                                                          ("action", .string(action)), ("permissions", filter), ("fields", .array(["*"]))]), token: token)
            }
        }
        try await attachPolicy("Staff comments", role: parentID, [("comments", "create", .null)])
        try await attachPolicy("Office only", ip: ["10.0.0.0/8"], role: roleID, [("articles", "delete", .null)])
        try await attachPolicy("Public reads", role: nil, [("articles", "read", .object([("status", .object([("_eq", "published")]))]))])
        func mine(_ token: String?) async throws -> JSONValue {
            (try await depot.request("GET", "/permissions/me", token: token).json["data"] ?? .null)
        }
        let me = try await mine(editorToken)
        #expect(me["articles"]?["read"] == JSONValue.object([("access", "partial"), ("fields", .array(["id", "title"])), ("presets", .object([]))]))
        #expect(me["articles"]?["delete"]?["access"] == "none", "the 10.0.0.0/8 policy does not apply from 127.0.0.1")
        #expect(me["comments"]?["create"]?["access"] == "full", "the parent role's policy applies")
        #expect(try await mine(nil)["articles"]?["read"]?["access"] == "partial", "the public policy applies to anonymous callers")
        #expect(try await mine(nil)["comments"] == nil)
        #expect(try await mine(token)["directus_users"]?["read"]?["access"] == "full")
        // A change to a permission shows at once (the cache is dropped on every access-table write).
        guard case .int(let permissionID)? = permission.json["data"]?["id"] else { Issue.record("no permission id"); return }
        #expect(try await send("PATCH", "/permissions/\(permissionID)", .object([("permissions", .null)])).status == 200)
        #expect(try await mine(editorToken)["articles"]?["read"]?["access"] == "full")

        #expect(try await send("PATCH", "/users/\(userID)?fields=first_name", .object([("first_name", "Eddie")])).json["data"] == .object([("first_name", "Eddie")]))
        #expect(try await send("GET", "/users?filter[role][parent][name][_eq]=Staff&fields=email").json["data"] == .array([.object([("email", "editor@example.com")])]))
        let duplicate = try await send("POST", "/users", .object([("email", "editor@example.com")]))
        #expect(duplicate.status == 400 && duplicate.errorCode == "RECORD_NOT_UNIQUE")
        #expect(try await send("DELETE", "/users/\(userID)").status == 204)
        #expect(try await send("GET", "/users?aggregate[count]=*").json["data"] == .array([.object([("count", "1")])]))
        #expect(try await send("GET", "/items/directus_roles").status == 403, "system collections stay off /items")
        #expect(try await send("GET", "/activity?filter[collection][_eq]=directus_permissions&aggregate[count]=*&groupBy=action&sort=action").json["data"]
            == .array([.object([("action", "create"), ("count", "4")]), .object([("action", "update"), ("count", "1")])]))
    }
}
