import CMS
import Foundation
import Testing

/// Permissions enforced everywhere, on both dialects: roles (nested) × actions × collections × fields, item filters
/// with `$CURRENT_USER`, relational reads, presets, validation, two policies merged, the public policy, files and
/// assets by folder, system collections, and attempts to escalate.
@Suite struct PermissionsMatrixTests {
    /// Admin, two writers (`bob` with a static token; `alice` also with a policy of her own), a reader without
    /// rules, and the rules below, on the `articles`/`comments`/`tags` catalog.
    struct World {
        let depot: DepotProcess
        let test: TestDatabase
        let admin: String
        var ids: [String: String] = [:]

        func send(_ method: String, _ path: String, _ body: JSONValue? = nil, as token: String?) async throws -> DepotProcess.Reply {
            try await depot.request(method, path, json: body, token: token)
        }
        func data(_ path: String, as token: String?) async throws -> JSONValue {
            let reply = try await send("GET", path, as: token)
            #expect(reply.status == 200, "\(path): \(reply.text)")
            return reply.json["data"] ?? .null
        }
        /// `title`s of a list answer, sorted.
        func titles(_ path: String, as token: String?) async throws -> [String] {
            (try await data(path, as: token).arrayItems ?? []).compactMap { $0["title"]?.stringValue }.sorted()
        }
        func stop() async {
            await depot.stop()
            await test.drop()
        }
    }

    static func world(_ dialect: Dialect, _ extra: [String: String] = [:]) async throws -> World? {
        guard let (depot, test, admin) = try await ItemsRelationsTests.catalog(dialect, extra) else { return nil }
        var world = World(depot: depot, test: test, admin: admin)
        func post(_ path: String, _ body: JSONValue) async throws -> String {
            let reply = try await depot.request("POST", path + "?fields=id", json: body, token: admin)
            #expect(reply.status == 200, "\(path): \(reply.text)")
            return CollectionStore.keyText(reply.json["data"]?["id"] ?? .null) ?? ""
        }
        func field(_ name: String, _ type: String, special: [String] = []) -> JSONValue {
            .object([("field", .string(name)), ("type", .string(type)), ("meta", .object([("special", .array(special.map(JSONValue.string)))]))])
        }
        _ = try await post("/fields/articles", field("status", "string"))
        _ = try await post("/fields/articles", field("secret", "string"))
        _ = try await post("/fields/articles", field("owner", "uuid", special: ["user-created"]))
        try await depot.expectOK("POST", "/relations", .object([("collection", "articles"), ("field", "owner"), ("related_collection", "directus_users")]), token: admin)

        let staff = try await post("/roles", .object([("name", "Staff")]))
        let writers = try await post("/roles", .object([("name", "Writers"), ("parent", .string(staff))]))
        let readers = try await post("/roles", .object([("name", "Readers")]))
        func user(_ name: String, role: String) async throws -> String {
            try await post("/users", .object([("email", .string("\(name)@example.com")), ("password", .string("\(name)-password")),
                                               ("first_name", .string(name)), ("role", .string(role)), ("token", .string("\(name)-token"))]))
        }
        world.ids["bob"] = try await user("bob", role: writers)
        world.ids["alice"] = try await user("alice", role: writers)
        world.ids["carol"] = try await user("carol", role: readers)

        /// A policy attached to a role, a user, or (both nil) to nobody = public.
        func policy(_ name: String, role: String? = nil, user: String? = nil, _ rules: [JSONValue]) async throws -> String {
            let id = try await post("/policies", .object([("name", .string(name))]))
            _ = try await post("/access", .object([("policy", .string(id)), ("role", role.map(JSONValue.string) ?? .null), ("user", user.map(JSONValue.string) ?? .null)]))
            for var rule in rules {
                if case .object(var dict, var keys) = rule { dict["policy"] = .string(id); keys.append("policy"); rule = .object(dict, keys: keys) }
                _ = try await post("/permissions", rule)
            }
            return id
        }
        func rule(_ collection: String, _ action: String, fields: [String] = ["*"], filter: JSONValue = .null,
                  presets: JSONValue = .null, validation: JSONValue = .null) -> JSONValue {
            .object([("collection", .string(collection)), ("action", .string(action)), ("fields", .array(fields.map(JSONValue.string))),
                     ("permissions", filter), ("presets", presets), ("validation", validation)])
        }
        let mine: JSONValue = .object([("owner", .object([("_eq", "$CURRENT_USER")]))])
        let published: JSONValue = .object([("status", .object([("_eq", "published")]))])
        // The parent role's policy: tags, and comments with three stars or more.
        _ = try await policy("Staff", role: staff, [
            rule("tags", "read"),
            rule("comments", "read", fields: ["id", "body", "stars", "article"], filter: .object([("stars", .object([("_gte", .int(3))]))])),
        ])
        world.ids["writersPolicy"] = try await policy("Writers", role: writers, [
            rule("articles", "read", fields: ["id", "title", "status", "rank", "owner", "comments", "tags"], filter: .object([("_or", .array([published, mine]))])),
            rule("articles", "create", fields: ["title", "rank", "status"], presets: .object([("status", "draft")]),
                 validation: .object([("rank", .object([("_lte", .int(100))]))])),
            rule("articles", "update", fields: ["title", "rank", "status"], filter: mine),
            rule("articles", "delete", filter: mine),
            rule("directus_users", "read", fields: ["id", "first_name", "email", "role"]),
            rule("articles_tags", "read"),
        ])
        // Alice's own policy: the secret, on high-ranked articles only.
        _ = try await policy("High rank", user: world.ids["alice"], [
            rule("articles", "read", fields: ["id", "secret"], filter: .object([("rank", .object([("_gte", .int(90))]))])),
        ])
        // The bootstrap's public policy: published titles, and files in the "public" folder.
        let folder = try await post("/folders", .object([("name", "public")]))
        world.ids["folder"] = folder
        let publicPolicy = try await world.data("/policies?filter%5Bicon%5D%5B_eq%5D=public&fields=id", as: admin).arrayItems?.first?["id"]?.stringValue ?? ""
        for body in [rule("articles", "read", fields: ["id", "title"], filter: published),
                     rule("directus_files", "read", filter: .object([("folder", .object([("_eq", .string(folder))]))]))] {
            if case .object(var dict, var keys) = body {
                dict["policy"] = .string(publicPolicy); keys.append("policy")
                _ = try await post("/permissions", .object(dict, keys: keys))
            }
        }

        // Articles: two published by the admin, one draft each for bob and alice (alice's ranked 95), all with secrets.
        func article(_ title: String, status: String, rank: Int, owner: String?, stars: [Int] = []) async throws {
            let id = try await post("/items/articles", .object([("title", .string(title)), ("status", .string(status)), ("rank", .int(Int64(rank))),
                                                                ("secret", .string("secret of \(title)")),
                                                                ("comments", .array(stars.map { .object([("body", .string("\($0) stars")), ("stars", .int(Int64($0)))]) }))]))
            world.ids[title] = id
            if let owner { try await depot.expectOK("PATCH", "/items/articles/\(id)", .object([("owner", .string(owner))]), token: admin) }
        }
        try await article("Public one", status: "published", rank: 10, owner: nil, stars: [1, 5])
        try await article("Public two", status: "published", rank: 20, owner: nil)
        try await article("Bob draft", status: "draft", rank: 30, owner: world.ids["bob"], stars: [2, 4])
        try await article("Alice draft", status: "draft", rank: 95, owner: world.ids["alice"])
        return world
    }

    @Test(arguments: Dialect.allCases)
    func readsSeeOnlyPermittedItemsAndFields(dialect: Dialect) async throws {
        guard let w = try await Self.world(dialect) else { return }
        // Public: published titles only; `*` is just the permitted fields.
        #expect(try await w.titles("/items/articles", as: nil) == ["Public one", "Public two"])
        #expect(try await w.data("/items/articles?limit=1&sort=id", as: nil).sortedKeys == .array([.object([("id", .int(Int64(w.ids["Public one"]!)!)), ("title", "Public one")])]))
        for path in ["/items/articles?fields=secret", "/items/articles?filter%5Bsecret%5D%5B_eq%5D=x", "/items/articles?sort=secret",
                     "/items/articles?aggregate%5Bmin%5D=secret", "/items/articles?groupBy%5B%5D=status", "/items/articles?fields=no_such_field",
                     "/items/comments", "/items/articles?fields=comments.body", "/items/articles/\(w.ids["Bob draft"]!)"] {
            let reply = try await w.send("GET", path, as: nil)
            #expect(reply.status == 403 && reply.errorCode == "FORBIDDEN", "public \(path): \(reply.text)")
        }
        #expect(try await w.data("/items/articles?search=secret", as: nil) == .array([]), "search does not reach hidden fields")

        // Bob (Writers ⊂ Staff): published + his own; his drafts' comments with ≥ 3 stars only.
        let bob = "bob-token"
        #expect(try await w.titles("/items/articles", as: bob) == ["Bob draft", "Public one", "Public two"])
        let meta = try await w.send("GET", "/items/articles?meta=total_count,filter_count&filter%5Brank%5D%5B_gte%5D=20", as: bob).json["meta"]
        #expect(meta?.sortedKeys == JSONValue.object([("total_count", .int(3)), ("filter_count", .int(2))]).sortedKeys, "meta counts only what bob sees")
        #expect(try await w.data("/items/articles?aggregate%5Bcount%5D=*", as: bob) == .array([.object([("count", "3")])]))
        #expect(try await w.data("/items/articles?aggregate%5Bsum%5D=rank", as: bob) == .array([.object([("sum", .object([("rank", "60")]))])]))
        let draft = try await w.data("/items/articles/\(w.ids["Bob draft"]!)?fields=title,comments.stars,count(comments)", as: bob)
        #expect(draft.sortedKeys == JSONValue.object([("title", "Bob draft"), ("comments", .array([.object([("stars", .int(4))])])), ("comments_count", .int(1))]).sortedKeys)
        #expect(try await w.titles("/items/articles?filter%5Bcomments%5D%5B_some%5D%5Bstars%5D%5B_lt%5D=3", as: bob) == [],
                "hidden comments match no filter")
        #expect(try await w.titles("/items/articles?filter%5Bcomments%5D%5B_none%5D%5Bstars%5D%5B_lt%5D=3", as: bob) == ["Bob draft", "Public one", "Public two"])
        #expect(try await w.send("GET", "/items/articles/\(w.ids["Alice draft"]!)", as: bob).status == 403, "another writer's draft")
        #expect(try await w.data("/items/tags?fields=name&sort=id", as: bob).arrayItems?.count == 3, "the parent role's policy applies")
        // Relational: the owner's permitted fields only; asking for more is FORBIDDEN.
        let owned = try await w.data("/items/articles/\(w.ids["Bob draft"]!)?fields=owner.*", as: bob)
        #expect(owned["owner"]?.objectKeys?.sorted() == ["email", "first_name", "id", "role"])
        for path in ["/items/articles?fields=owner.password", "/items/articles?fields=owner.token", "/items/articles?filter%5Bowner%5D%5Bpassword%5D%5B_nnull%5D=true",
                     "/users?fields=password", "/users?fields=token", "/users?aggregate%5Bmin%5D=password", "/users?sort=token", "/items/articles?fields=tags.tags_id.name"] {
            let reply = try await w.send("GET", path, as: bob)
            let expected = path.hasSuffix("tags_id.name") ? 200 : 403
            #expect(reply.status == expected, "bob \(path): \(reply.text)")
        }
        let users = try await w.data("/users?fields=*", as: bob)
        #expect(users.arrayItems?.allSatisfy { $0.objectKeys?.sorted() == ["email", "first_name", "id", "role"] } == true)
        let export = try await w.send("GET", "/users?fields=*&export=csv", as: bob)
        #expect(export.status == 200 && !export.text.contains("password") && !export.text.contains("bob-token") && !export.text.contains("$argon2"))
        #expect(try await w.data("/users?search=bob-token", as: bob) == .array([]))

        // Alice: two policies merged — she also reaches rank ≥ 90, where `secret` shows; elsewhere it reads null.
        let alice = "alice-token"
        let seen = try await w.data("/items/articles?fields=title,secret&sort=rank", as: alice)
        #expect(seen.sortedKeys == JSONValue.array([
            .object([("title", "Public one"), ("secret", .null)]), .object([("title", "Public two"), ("secret", .null)]),
            .object([("title", "Alice draft"), ("secret", "secret of Alice draft")]),
        ]).sortedKeys)
        #expect(try await w.titles("/items/articles?filter%5Bsecret%5D%5B_nnull%5D=true", as: alice) == ["Alice draft"], "hidden values can't be matched")

        // Carol's role has no policy: FORBIDDEN, with nothing revealed.
        #expect(try await w.send("GET", "/items/articles", as: "carol-token").status == 403)
        #expect(try await w.send("GET", "/items/tags", as: "carol-token").status == 403)
        // /permissions/me reports the merged rules.
        let me = try await w.data("/permissions/me", as: bob)
        #expect(me["articles"]?["read"]?["access"] == "partial" && me["tags"]?["read"]?["access"] == "full")
        #expect(me["articles"]?["create"]?["presets"] == .object([("status", "draft")]))
        await w.stop()
    }

    @Test(arguments: Dialect.allCases)
    func writesFollowFieldsPresetsValidationAndItemRules(dialect: Dialect) async throws {
        guard let w = try await Self.world(dialect) else { return }
        let bob = "bob-token"
        func count() async throws -> Int { try await w.data("/items/articles?fields=id", as: w.admin).arrayItems?.count ?? -1 }
        // Create: presets fill the status, the owner is bob, and the answer is re-read under his rules.
        let created = try await w.send("POST", "/items/articles?fields=title,status,owner", .object([("title", "Bob new"), ("rank", .int(7))]), as: bob)
        #expect(created.status == 200, "\(created.text)")
        #expect(created.json["data"]?.sortedKeys == JSONValue.object([("title", "Bob new"), ("status", "draft"), ("owner", .string(w.ids["bob"]!))]).sortedKeys)
        let before = try await count()
        let secret = try await w.send("POST", "/items/articles", .object([("title", "x"), ("secret", "mine")]), as: bob)
        #expect(secret.status == 403 && secret.errorCode == "FORBIDDEN")
        let invalid = try await w.send("POST", "/items/articles", .array([.object([("title", "ok"), ("rank", .int(1))]), .object([("title", "too high"), ("rank", .int(500))])]), as: bob)
        #expect(invalid.status == 400 && invalid.errorCode == "FAILED_VALIDATION" && invalid.json["errors"]?.arrayItems?.first?["extensions"]?["field"] == "rank", "\(invalid.text)")
        #expect(try await count() == before, "a refused batch writes nothing")
        // Nested writes obey the related collection's rules: bob may not create comments.
        let nested = try await w.send("POST", "/items/articles", .object([("title", "with comment"), ("comments", .array([.object([("body", "hi")])]))]), as: bob)
        #expect(nested.status == 403)
        #expect(try await count() == before)

        // Update and delete reach only bob's own items.
        let alices = w.ids["Alice draft"]!, bobs = w.ids["Bob draft"]!
        #expect(try await w.send("PATCH", "/items/articles/\(alices)", .object([("title", "hijacked")]), as: bob).status == 403)
        #expect(try await w.send("PATCH", "/items/articles/\(bobs)", .object([("title", "Bob edited")]), as: bob).status == 200)
        #expect(try await w.send("PATCH", "/items/articles/\(bobs)", .object([("owner", .string(w.ids["alice"]!))]), as: bob).status == 403, "owner is not in his fields")
        let byKeys = try await w.send("PATCH", "/items/articles", .object([("keys", .array([.string(bobs), .string(alices)])), ("data", .object([("title", "both")]))]), as: bob)
        #expect(byKeys.status == 403, "a batch by keys with one item out of reach is refused whole")
        let byQuery = try await w.send("PATCH", "/items/articles?fields=title", .object([("query", .object([("limit", .int(-1))])), ("data", .object([("rank", .int(42))]))]), as: bob)
        #expect(byQuery.status == 200, "\(byQuery.text)")
        let ranks = try await w.data("/items/articles?fields=title,rank&sort=id", as: w.admin).arrayItems ?? []
        #expect(ranks.filter { $0["rank"] == .int(42) }.compactMap { $0["title"]?.stringValue }.sorted() == ["Bob edited", "Bob new"], "by query: only his items changed")
        #expect(ranks.first { $0["title"] == "Alice draft" }?["rank"] == .int(95))
        #expect(try await w.send("DELETE", "/items/articles/\(alices)", as: bob).status == 403)
        #expect(try await w.send("DELETE", "/items/articles/\(w.ids["Public one"]!)", as: bob).status == 403)
        #expect(try await w.send("DELETE", "/items/articles/\(bobs)", as: bob).status == 204)
        // A write the caller may make but not read back (here: the fields asked for) answers 204, as Directus.
        let patched = try await w.send("POST", "/items/articles?fields=secret", .object([("title", "unreadable answer"), ("rank", .int(3))]), as: bob)
        #expect(patched.status == 204 && patched.body.isEmpty, "\(patched.status) \(patched.text)")
        #expect(try await w.send("POST", "/items/articles", .object([("title", "public write")]), as: nil).status == 403)
        await w.stop()
    }

    @Test(arguments: Dialect.allCases)
    func escalationIsRefusedAndAnAdministratorRemains(dialect: Dialect) async throws {
        guard let w = try await Self.world(dialect) else { return }
        let bob = "bob-token"
        let adminRole = try await w.data("/users/me?fields=role", as: w.admin)["role"] ?? .null
        let adminID = try await w.data("/users/me?fields=id", as: w.admin)["id"]?.stringValue ?? ""
        let adminPolicy = try await w.data("/policies?filter%5Badmin_access%5D%5B_eq%5D=true&fields=id", as: w.admin).arrayItems?.first?["id"] ?? .null
        let attempts: [(String, String, JSONValue)] = [
            ("PATCH", "/users/me", .object([("role", adminRole)])),
            ("PATCH", "/users/\(w.ids["bob"]!)", .object([("role", adminRole)])),
            ("PATCH", "/users/\(w.ids["bob"]!)", .object([("status", "active")])),
            ("PATCH", "/policies/\(w.ids["writersPolicy"]!)", .object([("admin_access", true)])),
            ("POST", "/access", .object([("user", .string(w.ids["bob"]!)), ("policy", adminPolicy)])),
            ("POST", "/permissions", .object([("policy", .string(w.ids["writersPolicy"]!)), ("collection", "articles"), ("action", "read"), ("fields", .array(["*"]))])),
            ("POST", "/roles", .object([("name", "Mine"), ("parent", adminRole)])),
            ("POST", "/users", .object([("email", "evil@example.com"), ("role", adminRole)])),
            ("DELETE", "/users/\(adminID)", .null),
            ("PATCH", "/settings", .object([("auth_login_attempts", .int(0))])),
            ("POST", "/collections", .object([("collection", "mine")])),
            ("POST", "/fields/articles", .object([("field", "x"), ("type", "string")])),
        ]
        for (method, path, body) in attempts {
            let reply = try await w.send(method, path, body.isNull ? nil : body, as: bob)
            #expect(reply.status == 403 && reply.errorCode == "FORBIDDEN", "bob \(method) \(path): \(reply.status) \(reply.text)")
        }
        #expect(try await w.data("/permissions/me", as: bob)["directus_policies"] == nil)
        #expect(try await w.send("GET", "/server/health", as: bob).json["checks"] == nil, "still not an administrator")

        // The last administrator can't be removed, suspended, demoted or stripped of the admin policy.
        let lastAdmin: [(String, String, JSONValue?)] = [
            ("DELETE", "/users/\(adminID)", nil),
            ("PATCH", "/users/\(adminID)", .object([("status", "suspended")])),
            ("PATCH", "/users/\(adminID)", .object([("role", .null)])),
            ("PATCH", "/policies/\(adminPolicy.stringValue ?? "")", .object([("admin_access", false)])),
            ("DELETE", "/roles/\(adminRole.stringValue ?? "")", nil),
        ]
        for (method, path, body) in lastAdmin {
            let reply = try await w.send(method, path, body, as: w.admin)
            #expect(reply.status == 422 && reply.errorCode == "UNPROCESSABLE_CONTENT", "admin \(method) \(path): \(reply.status) \(reply.text)")
        }
        #expect(try await w.send("GET", "/users/me", as: w.admin).status == 200)
        // With a second administrator, the first may go.
        try await w.depot.expectOK("PATCH", "/users/\(w.ids["carol"]!)", .object([("role", adminRole)]), token: w.admin)
        #expect(try await w.send("GET", "/server/health", as: "carol-token").json["checks"] != nil, "a new role applies at the next request")
        #expect(try await w.send("PATCH", "/users/\(adminID)", .object([("status", "suspended")]), as: "carol-token").status == 200)
        #expect(try await w.send("GET", "/users/me", as: w.admin).status == 401, "a suspended user's token stops working")
        #expect(try await w.send("DELETE", "/users/\(w.ids["bob"]!)", as: "carol-token").status == 204)
        #expect(try await w.send("GET", "/items/tags", as: bob).status == 401, "a deleted user's token stops working")
        await w.stop()
    }

    @Test(arguments: Dialect.allCases)
    func filesAndAssetsFollowTheirRows(dialect: Dialect) async throws {
        guard let w = try await Self.world(dialect) else { return }
        func upload(_ fields: [(String, String)]) async throws -> String {
            let (body, headers) = FilesHTTPTests.multipart(fields, files: [("photo.jpg", "image/jpeg", FilesHTTPTests.photo)])
            let reply = try await w.depot.request("POST", "/files?fields=id", body: body, headers: headers, token: w.admin)
            #expect(reply.status == 200, "\(reply.text)")
            return reply.json["data"]?["id"]?.stringValue ?? ""
        }
        let shared = try await upload([("folder", w.ids["folder"]!)])
        let privateFile = try await upload([])
        #expect(try await w.send("GET", "/assets/\(shared)", as: nil).status == 200)
        #expect(try await w.send("GET", "/assets/\(shared)?width=20", as: nil).status == 200)
        for path in ["/assets/\(privateFile)", "/assets/\(privateFile)?width=20", "/files/\(privateFile)"] {
            #expect(try await w.send("GET", path, as: nil).status == 403, "public \(path)")
        }
        #expect(try await w.data("/files?fields=id", as: nil) == .array([.object([("id", .string(shared))])]))
        #expect(try await w.send("GET", "/assets/\(privateFile)", as: "bob-token").status == 403, "no rule on files for writers")
        #expect(try await w.send("GET", "/assets/\(privateFile)", as: w.admin).status == 200)
        #expect(try await w.send("DELETE", "/files/\(shared)", as: nil).status == 403)
        #expect(try await w.send("PATCH", "/files/\(shared)", .object([("title", "x")]), as: nil).status == 403)
        let (body, headers) = FilesHTTPTests.multipart([], files: [("p.jpg", "image/jpeg", FilesHTTPTests.photo)])
        #expect(try await w.depot.request("POST", "/files", body: body, headers: headers).status == 403, "no create rule for the public")
        await w.stop()
    }

    @Test(arguments: Dialect.allCases)
    func failedLoginsSuspendAndAreLimitedPerAddress(dialect: Dialect) async throws {
        guard let w = try await Self.world(dialect, ["AUTH_LOGIN_IP_ATTEMPTS": "8", "LOGIN_STALL_TIME": "10ms"]) else { return }
        try await w.depot.expectOK("PATCH", "/settings", .object([("auth_login_attempts", .int(2))]), token: w.admin)
        func login(_ email: String, _ password: String) async throws -> DepotProcess.Reply {
            try await w.depot.request("POST", "/auth/login", json: .object([("email", .string(email)), ("password", .string(password))]))
        }
        #expect(try await login("carol@example.com", "wrong").errorCode == "INVALID_CREDENTIALS")
        #expect(try await login("carol@example.com", "wrong").errorCode == "INVALID_CREDENTIALS")
        let third = try await login("carol@example.com", "carol-password")
        #expect(third.status == 401 && third.errorCode == "USER_SUSPENDED", "past auth_login_attempts the account is suspended: \(third.text)")
        #expect(try await w.send("GET", "/users/me", as: "carol-token").status == 401)
        #expect(try await w.data("/users/\(w.ids["carol"]!)?fields=status", as: w.admin)["status"] == "suspended")
        // A wrong password never tells the status.
        #expect(try await login("carol@example.com", "wrong").errorCode == "INVALID_CREDENTIALS")
        // Per address: after 8 failures in the window, even a right password waits.
        for _ in 0..<4 { _ = try await login("nobody@example.com", "wrong") }
        let limited = try await login("bob@example.com", "bob-password")
        #expect(limited.status == 429 && limited.errorCode == "REQUESTS_EXCEEDED" && limited.header("retry-after") != nil, "\(limited.status) \(limited.text)")
        await w.stop()
    }
}
