import CMS
import Crypto
import Foundation
import Testing

/// Permission and authentication holes found by an independent probe, each closed with a test that failed before.
@Suite struct SecurityHardeningTests {
    @Test(arguments: Dialect.allCases)
    func updatingOneselfFollowsFieldPermissions(dialect: Dialect) async throws {
        guard let (depot, test) = try await HTTPTests.server(dialect) else { return }
        let admin = try await depot.adminToken()
        func post(_ path: String, _ body: JSONValue) async throws -> String {
            let reply = try await depot.request("POST", path, json: body, token: admin)
            #expect(reply.status == 200, "\(path): \(reply.text)")
            return CollectionStore.keyText(reply.json["data"]?["id"] ?? .null) ?? ""
        }
        let role = try await post("/roles", .object([("name", "Editors")]))
        let policy = try await post("/policies", .object([("name", "Editors")]))
        _ = try await post("/access", .object([("policy", .string(policy)), ("role", .string(role))]))
        let mine: JSONValue = .object([("id", .object([("_eq", "$CURRENT_USER")]))])
        _ = try await post("/permissions", .object([("policy", .string(policy)), ("collection", "directus_users"), ("action", "read"),
                                                   ("fields", .array(["*"])), ("permissions", mine)]))
        _ = try await post("/permissions", .object([("policy", .string(policy)), ("collection", "directus_users"), ("action", "update"),
                                                   ("fields", .array(["first_name"])), ("permissions", mine)]))
        _ = try await post("/users", .object([("email", "ed@example.com"), ("password", "ed-password"), ("role", .string(role))]))
        let login = try await depot.request("POST", "/auth/login", json: .object([("email", "ed@example.com"), ("password", "ed-password")]))
        let token = try #require(login.json["data"]?["access_token"]?.stringValue, "\(login.text)")

        for (field, value) in [("token", "minted-by-ed"), ("password", "taken-over"), ("email", "boss@example.com"), ("role", JSONValue.null)] as [(String, JSONValue)] {
            let reply = try await depot.request("PATCH", "/users/me", json: .object([(field, value)]), token: token)
            #expect(reply.status == 403 && reply.errorCode == "FORBIDDEN", "\(field): \(reply.status) \(reply.text)")
        }
        let allowed = try await depot.request("PATCH", "/users/me?fields=first_name,email", json: .object([("first_name", "Ed")]), token: token)
        #expect(allowed.json["data"]?["first_name"] == "Ed" && allowed.json["data"]?["email"] == "ed@example.com", "\(allowed.text)")
        // The refused writes left nothing behind: the static token never logs in, the password is unchanged.
        #expect(try await depot.request("GET", "/users/me", token: "minted-by-ed").status == 401)
        let again = try await depot.request("POST", "/auth/login", json: .object([("email", "ed@example.com"), ("password", "ed-password")]))
        #expect(again.status == 200, "\(again.text)")
        #expect(await depot.stop() == 0)
        await test.drop()
    }

    /// 40 wrong logins written at once from one address against a limit of 25: the attempts are counted before
    /// the passwords are checked, so exactly 25 are checked and the rest wait.
    @Test func parallelFailedLoginsCannotOutrunTheLimit() async throws {
        guard let (depot, test) = try await HTTPTests.server(.sqlite, ["AUTH_LOGIN_IP_ATTEMPTS": "25", "LOGIN_STALL_TIME": "300ms"]) else { return }
        let body = #"{"email":"admin@example.com","password":"wrong"}"#
        let request = "POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        var sockets: [Int32] = []
        for _ in 0..<40 { sockets.append(try #require(RawHTTPExchange.send(port: depot.port, request))) }
        var statuses: [String: Int] = [:]
        await withTaskGroup(of: String.self) { group in
            for fd in sockets { group.addTask { String(await RawHTTPExchange.receive(fd).prefix(12)) } }
            for await status in group { statuses[status, default: 0] += 1 }
        }
        #expect(statuses["HTTP/1.1 401"] == 25 && statuses["HTTP/1.1 429"] == 15, "\(statuses)")
        #expect(await depot.stop() == 0)
        await test.drop()
    }

    @Test func corsNeverAllowsCredentialsForAnyOrigin() async throws {
        guard let (depot, test) = try await HTTPTests.server(.sqlite, ["CORS_ENABLED": "true", "CORS_ORIGIN": "*", "CORS_CREDENTIALS": "true"]) else { return }
        #expect(depot.stderr.contains("CORS_ORIGIN=* with CORS_CREDENTIALS=true"), "warned at start-up")
        let reply = try await depot.request("GET", "/server/ping", headers: ["Origin": "https://evil.example"])
        #expect(reply.header("access-control-allow-origin") == "*")
        #expect(reply.header("access-control-allow-credentials") == nil)
        let preflight = try await depot.request("OPTIONS", "/items/x", headers: ["Origin": "https://evil.example", "Access-Control-Request-Method": "GET"])
        #expect(preflight.header("access-control-allow-credentials") == nil)
        #expect(await depot.stop() == 0)
        await test.drop()

        // A named origin is reflected with credentials; another origin gets no CORS headers.
        guard let (named, namedTest) = try await HTTPTests.server(.sqlite, ["CORS_ENABLED": "true", "CORS_ORIGIN": "https://app.example", "CORS_CREDENTIALS": "true"]) else { return }
        let allowed = try await named.request("GET", "/server/ping", headers: ["Origin": "https://app.example"])
        #expect(allowed.header("access-control-allow-origin") == "https://app.example" && allowed.header("access-control-allow-credentials") == "true")
        let other = try await named.request("GET", "/server/ping", headers: ["Origin": "https://evil.example"])
        #expect(other.header("access-control-allow-origin") == nil && other.header("access-control-allow-credentials") == nil)
        #expect(await named.stop() == 0)
        await namedTest.drop()
    }

    @Test func tokensNotYetValidAreRefused() async throws {
        guard let (depot, test) = try await HTTPTests.server(.sqlite) else { return }
        let admin = try await depot.adminToken()
        let me = try await depot.request("GET", "/users/me?fields=id,role", token: admin)
        let id = try #require(me.json["data"]?["id"]?.stringValue), role = me.json["data"]?["role"] ?? .null
        func token(_ extra: [(String, JSONValue)]) -> String {
            let now = Int64(Date().timeIntervalSince1970)
            let base: [(String, JSONValue)] = [("id", .string(id)), ("role", role), ("app_access", true), ("admin_access", true),
                                               ("iat", .int(now)), ("exp", .int(now + 600)), ("iss", "directus")]
            let payload = JSONValue.object(base.filter { pair in !extra.contains { $0.0 == pair.0 } } + extra)
            func b64(_ data: Data) -> String {
                data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            }
            let signing = b64(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8)) + "." + b64(Data(payload.serialized()))
            let signature = HMAC<SHA256>.authenticationCode(for: Data(signing.utf8), using: SymmetricKey(data: Data("test-secret".utf8)))
            return signing + "." + b64(Data(signature))
        }
        let now = Int64(Date().timeIntervalSince1970)
        #expect(try await depot.request("GET", "/users/me", token: token([])).status == 200, "the forged token is otherwise valid")
        #expect(try await depot.request("GET", "/users/me", token: token([("nbf", .int(now - 10))])).status == 200)
        let early = try await depot.request("GET", "/users/me", token: token([("nbf", .int(now + 3_600))]))
        #expect(early.errorCode == "INVALID_TOKEN", "\(early.status) \(early.text)")
        let future = try await depot.request("GET", "/users/me", token: token([("iat", .int(now + 3_600))]))
        #expect(future.errorCode == "INVALID_TOKEN", "\(future.status) \(future.text)")
        #expect(await depot.stop() == 0)
        await test.drop()
    }
}
