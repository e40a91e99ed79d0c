import CMS
import Database
import Foundation
import Testing

/// End-to-end over a real socket against the `depot` binary.
@Suite struct HTTPTests {
    /// A running server on a fresh database of the dialect.
    static func server(_ dialect: Dialect, _ extra: [String: String] = [:]) async throws -> (DepotProcess, TestDatabase)? {
        guard let test = try await TestDatabase.make(dialect) else { return nil }
        let depot = try await DepotProcess.start(test.environment.merging(extra) { $1 })
        return (depot, test)
    }

    @Test(arguments: Dialect.allCases)
    func healthPingInfoAndLogin(dialect: Dialect) async throws {
        guard let (depot, test) = try await Self.server(dialect) else { return }
        let ping = try await depot.request("GET", "/server/ping")
        #expect(ping.status == 200 && ping.text == "pong")
        let health = try await depot.request("GET", "/server/health")
        #expect(health.status == 200)
        #expect(health.json == .object([("status", "ok")]))   // public callers see the status only
        #expect(health.header("content-type")?.hasPrefix("application/health+json") == true)

        let token = try await depot.adminToken()
        let detailed = try await depot.request("GET", "/server/health", token: token)
        let client = dialect == .postgres ? "pg" : "sqlite3"
        #expect(detailed.json["checks"]?["\(client):responseTime"] != nil)
        #expect(detailed.json["checks"]?["storage:local:responseTime"] != nil)
        #expect(detailed.json["checks"]?["assets:transforms"] == .array([.object([
            ("componentType", "component"), ("observedUnit", "transforms"), ("observedValue", .int(0)), ("status", "ok"),
            ("threshold", .int(Int64(ProcessInfo.processInfo.activeProcessorCount + 64))),
        ])]))

        let me = try await depot.request("GET", "/users/me?fields=email,status", token: token)
        #expect(me.status == 200)
        #expect(me.json == .object([("data", .object([("email", "admin@example.com"), ("status", "active")]))]))
        let viaQuery = try await depot.request("GET", "/users/me?access_token=\(token)")
        #expect(viaQuery.status == 200)

        let info = try await depot.request("GET", "/server/info", token: token)
        #expect(info.json["data"]?["vips"]?["version"]?.stringValue?.hasPrefix("8.") == true)
        #expect(info.json["data"]?["curl"]?["version"]?.stringValue?.hasPrefix("7.") == true)
        #expect(info.json["data"]?["project"]?["project_name"] == "Directus")
        let publicInfo = try await depot.request("GET", "/server/info")
        #expect(publicInfo.json["data"]?["vips"] == nil)
        #expect(await depot.stop() == 0)
        await test.drop()
    }

    @Test(arguments: Dialect.allCases)
    func errorsUseTheDirectusEnvelope(dialect: Dialect) async throws {
        guard let (depot, test) = try await Self.server(dialect, ["MAX_PAYLOAD_SIZE": "1kb"]) else { return }
        let notFound = try await depot.request("GET", "/no/such/route")
        #expect(notFound.status == 404 && notFound.errorCode == "ROUTE_NOT_FOUND")
        #expect(notFound.json["errors"]?.objectKeys == nil)   // an array, not an object

        let malformed = try await depot.request("POST", "/auth/login", body: Data("{not json".utf8), headers: ["Content-Type": "application/json"])
        #expect(malformed.status == 400 && malformed.errorCode == "INVALID_PAYLOAD")

        let missing = try await depot.request("POST", "/auth/login", json: .object([("email", "admin@example.com")]))
        #expect(missing.status == 400 && missing.errorCode == "INVALID_PAYLOAD")

        let tooLarge = try await depot.request("POST", "/auth/login", json: .object([("email", "a@b.c"), ("password", .string(String(repeating: "x", count: 2000)))]))
        #expect(tooLarge.status == 413 && tooLarge.errorCode == "CONTENT_TOO_LARGE")

        let wrong = try await depot.request("POST", "/auth/login", json: .object([("email", "admin@example.com"), ("password", "nope")]))
        #expect(wrong.status == 401 && wrong.errorCode == "INVALID_CREDENTIALS")

        let garbage = try await depot.request("GET", "/users/me", token: "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJkaXJlY3R1cyJ9.bad")
        #expect(garbage.status == 403 && garbage.errorCode == "INVALID_TOKEN")

        let unknownStatic = try await depot.request("GET", "/users/me", token: "no-such-static-token")
        #expect(unknownStatic.status == 401 && unknownStatic.errorCode == "INVALID_CREDENTIALS")

        let token = try await depot.adminToken()
        let both = try await depot.request("GET", "/users/me?access_token=\(token)", token: token)
        #expect(both.status == 400 && both.errorCode == "INVALID_PAYLOAD")

        let anonymousMe = try await depot.request("GET", "/users/me")
        #expect(anonymousMe.status == 401 && anonymousMe.errorCode == "INVALID_CREDENTIALS")

        // API.md: an unknown field is INVALID_QUERY (a field the caller may not read is FORBIDDEN).
        let badField = try await depot.request("GET", "/users/me?fields=nope", token: token)
        #expect(badField.status == 400 && badField.errorCode == "INVALID_QUERY")
        // No internals in any answer.
        for reply in [notFound, malformed, missing, tooLarge, wrong, garbage, badField] {
            #expect(!reply.text.contains("SELECT") && !reply.text.contains("/tmp") && !reply.text.contains(".swift"))
        }
        await depot.stop()
        await test.drop()
    }

    @Test(arguments: Dialect.allCases)
    func callersWithoutPermissionsAreForbidden(dialect: Dialect) async throws {
        guard let (depot, test) = try await Self.server(dialect) else { return }
        // A non-admin user: no role, no policy, authenticating with a static token.
        let db = try await test.open()
        try await db.execute("INSERT INTO directus_users (id, email, status, token) VALUES (?, 'editor@example.com', 'active', 'editor-token')",
                             [.text(UUID().uuidString.lowercased())])
        await db.close()
        let admin = try await depot.adminToken()
        for path in ["/items/articles", "/files", "/folders", "/users", "/settings", "/roles/1", "/assets/abc", "/activity", "/revisions",
                     "/policies", "/permissions", "/access", "/fields/directus_users"] {
            let anonymous = try await depot.request("GET", path)
            #expect(anonymous.status == 403 && anonymous.errorCode == "FORBIDDEN", "\(path) anonymous")
            let editor = try await depot.request("GET", path, token: "editor-token")
            #expect(editor.status == 403 && editor.errorCode == "FORBIDDEN", "\(path) editor")
            // Unknown collections, keys and assets are FORBIDDEN for an admin too.
            let expected = ["/items/articles": 403, "/roles/1": 403, "/assets/abc": 403][path] ?? 200
            #expect(try await depot.request("GET", path, token: admin).status == expected, "\(path) admin")
        }
        // The schema lists only what a caller has rules on; changing it is for administrators.
        #expect(try await depot.request("GET", "/collections", token: "editor-token").json["data"] == .array([]))
        let create = try await depot.request("POST", "/collections", json: .object([("collection", "sneaky")]), token: "editor-token")
        #expect(create.status == 403 && create.errorCode == "FORBIDDEN")
        // Reading oneself without a rule on users answers the id alone, as Directus.
        let me = try await depot.request("GET", "/users/me?fields=email", token: "editor-token")
        #expect(me.json["data"]?["id"] != nil && me.json["data"]?["email"] == nil)
        #expect(try await depot.request("GET", "/server/health", token: "editor-token").json["checks"] == nil)
        #expect(try await depot.request("GET", "/server/ping", token: "editor-token").status == 200)
        #expect(try await depot.request("GET", "/not-an-api-route").status == 404)
        await depot.stop()
        await test.drop()
    }

    @Test func checksPastTheirThresholdWarn() async throws {
        guard let (depot, test) = try await Self.server(.sqlite, ["DB_HEALTHCHECK_THRESHOLD": "0"]) else { return }
        let token = try await depot.adminToken()
        let health = try await depot.request("GET", "/server/health", token: token)
        #expect(health.status == 200 && health.json["status"] == "warn")
        guard case .array(let entries)? = health.json["checks"]?["sqlite3:responseTime"] else { Issue.record("no check"); return }
        #expect(entries.first?["status"] == "warn" && entries.first?["threshold"] == .int(0))
        await depot.stop()
        await test.drop()
    }

    @Test func expiredAccessTokensAreTokenExpired() async throws {
        guard let (depot, test) = try await Self.server(.sqlite, ["ACCESS_TOKEN_TTL": "20s"]) else { return }
        let token = try await depot.adminToken()
        let fresh = try await depot.request("GET", "/users/me", token: token)
        #expect(fresh.status == 200, "\(fresh.text)")
        // exp = floor(iat) + 20 s: room for a loaded machine (the full suite in parallel) before the first request.
        try await Task.sleep(for: .milliseconds(21_100))
        let expired = try await depot.request("GET", "/users/me", token: token)
        #expect(expired.status == 401 && expired.errorCode == "TOKEN_EXPIRED")
        await depot.stop()
        await test.drop()
    }

    @Test(arguments: Dialect.allCases)
    func refreshAndLogoutInJSONAndCookieModes(dialect: Dialect) async throws {
        guard let (depot, test) = try await Self.server(dialect) else { return }
        let login = try await depot.request("POST", "/auth/login", json: .object([("email", "admin@example.com"), ("password", "admin-password"), ("mode", "cookie")]))
        #expect(login.status == 200 && login.json["data"]?["refresh_token"] == nil)
        let cookie = try #require(login.header("set-cookie"))
        #expect(cookie.hasPrefix("directus_refresh_token=") && cookie.contains("HttpOnly"))
        let refreshToken = String(cookie.split(separator: ";")[0].dropFirst("directus_refresh_token=".count))

        let refreshed = try await depot.request("POST", "/auth/refresh", headers: ["Cookie": "directus_refresh_token=\(refreshToken)"])
        #expect(refreshed.status == 200 && refreshed.json["data"]?["access_token"] != nil)
        let reused = try await depot.request("POST", "/auth/refresh", json: .object([("refresh_token", .string(refreshToken))]))
        #expect(reused.status == 401 && reused.errorCode == "INVALID_CREDENTIALS")

        let json = try await depot.request("POST", "/auth/login", json: .object([("email", "admin@example.com"), ("password", "admin-password")]))
        let jsonRefresh = try #require(json.json["data"]?["refresh_token"]?.stringValue)
        let logout = try await depot.request("POST", "/auth/logout", json: .object([("refresh_token", .string(jsonRefresh))]))
        #expect(logout.status == 204)
        let afterLogout = try await depot.request("POST", "/auth/refresh", json: .object([("refresh_token", .string(jsonRefresh))]))
        #expect(afterLogout.status == 401)
        let noToken = try await depot.request("POST", "/auth/refresh")
        #expect(noToken.status == 400 && noToken.errorCode == "INVALID_PAYLOAD")
        await depot.stop()
        await test.drop()
    }

    @Test func sessionModeUsesTheSessionCookie() async throws {
        guard let (depot, test) = try await Self.server(.sqlite) else { return }
        let login = try await depot.request("POST", "/auth/login", json: .object([("email", "admin@example.com"), ("password", "admin-password"), ("mode", "session")]))
        let cookie = try #require(login.header("set-cookie"))
        #expect(cookie.hasPrefix("directus_session_token="))
        let session = String(cookie.split(separator: ";")[0])
        let me = try await depot.request("GET", "/users/me?fields=email", headers: ["Cookie": session])
        #expect(me.status == 200)
        let refreshed = try await depot.request("POST", "/auth/refresh", json: .object([("mode", "session")]), headers: ["Cookie": session])
        #expect(refreshed.status == 200 && refreshed.header("set-cookie")?.hasPrefix("directus_session_token=") == true)
        await depot.stop()
        await test.drop()
    }

    @Test func corsFollowsConfiguration() async throws {
        guard let (depot, test) = try await Self.server(.sqlite, ["CORS_ENABLED": "true", "CORS_ORIGIN": "https://app.example.com"]) else { return }
        let allowed = try await depot.request("GET", "/server/ping", headers: ["Origin": "https://app.example.com"])
        #expect(allowed.header("access-control-allow-origin") == "https://app.example.com")
        let other = try await depot.request("GET", "/server/ping", headers: ["Origin": "https://evil.example.com"])
        #expect(other.header("access-control-allow-origin") == nil)
        let preflight = try await depot.request("OPTIONS", "/users/me", headers: ["Origin": "https://app.example.com", "Access-Control-Request-Method": "PATCH"])
        #expect(preflight.status == 204 && preflight.header("access-control-allow-methods")?.contains("PATCH") == true)
        await depot.stop()
        await test.drop()
    }

    @Test(arguments: Dialect.allCases)
    func dataSurvivesARestart(dialect: Dialect) async throws {
        guard let test = try await TestDatabase.make(dialect) else { return }
        let dir = try TempDirectory.make()
        let first = try await DepotProcess.start(test.environment, directory: dir)
        let token = try await first.adminToken()
        let patched = try await first.request("PATCH", "/users/me", json: .object([("first_name", "Grace"), ("password", "changed-pw")]), token: token)
        #expect(patched.status == 200)
        #expect(await first.stop() == 0)
        // Restart: the admin is not re-created and the changes are there.
        let second = try await DepotProcess.start(test.environment, directory: dir)
        let newToken = try await second.adminToken(password: "changed-pw")
        let me = try await second.request("GET", "/users/me?fields=first_name", token: newToken)
        #expect(me.json["data"]?["first_name"] == "Grace")
        #expect(!second.stderr.contains("created the first administrator"))
        await second.stop()
        await test.drop()
    }

    @Test func embeddedDefaultKeepsGeneratedSecretsAcrossRestarts() async throws {
        let dir = try TempDirectory.make()
        // No database, storage or secret variables: SQLite and uploads under ./data, secrets generated there.
        let bare = ["SECRET": "", "KEY": ""]
        let first = try await DepotProcess.start(bare, directory: dir)
        let token = try await first.adminToken()
        #expect(FileManager.default.fileExists(atPath: dir + "/data/database.db"))
        #expect(FileManager.default.fileExists(atPath: dir + "/data/uploads"))
        let secrets = try FileManager.default.attributesOfItem(atPath: dir + "/data/secrets.env")
        #expect((secrets[.posixPermissions] as? Int) == 0o600)
        #expect(first.stderr.contains("SECRET is not set"))
        await first.stop()
        let second = try await DepotProcess.start(bare, directory: dir)
        // A token signed before the restart still verifies: the secret was kept.
        #expect(try await second.request("GET", "/users/me", token: token).status == 200)
        await second.stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func invalidConfigurationExitsWithOneLine() async throws {
        let depot = try DepotProcess(environment: ["PORT": "not-a-port"])
        try depot.run()
        await DepotProcess.waitForExit(depot.process)
        #expect(depot.process.terminationStatus == 1)
        let lines = depot.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("configuration error: PORT:") == true)
    }

    @Test func unreachableDatabaseExitsWithOneLine() async throws {
        let depot = try DepotProcess(environment: ["DB_CLIENT": "pg", "DB_HOST": "127.0.0.1", "DB_PORT": "1", "DB_DATABASE": "x"])
        try depot.run()
        await DepotProcess.waitForExit(depot.process)
        #expect(depot.process.terminationStatus == 1)
        #expect(depot.stderr.contains("startup error: database unavailable"))
        #expect(!depot.stderr.contains("Fatal error"))
    }

    @Test func gracefulShutdownFinishesInFlightRequests() async throws {
        // A failed login is held for LOGIN_STALL_TIME: long enough to signal the server while it is in flight.
        guard let (depot, test) = try await Self.server(.sqlite, ["LOGIN_STALL_TIME": "4000"]) else { return }
        let payload = #"{"email":"admin@example.com","password":"wrong"}"#
        let socket = try #require(RawHTTPExchange.send(port: depot.port, """
            POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(payload.utf8.count)\r\n\
            Connection: close\r\n\r\n\(payload)
            """))
        try await Task.sleep(for: .milliseconds(1000))   // the request is written; well inside the 4 s stall
        kill(depot.process.processIdentifier, SIGTERM)
        let reply = await RawHTTPExchange.receive(socket)
        #expect(reply.hasPrefix("HTTP/1.1 401") && reply.contains("INVALID_CREDENTIALS"), "\(reply)")
        #expect(await depot.stop() == 0)
        // After shutdown nothing listens.
        await #expect(throws: (any Error).self) { _ = try await depot.request("GET", "/server/ping") }
        await test.drop()
    }

    @Test func shutdownDoesNotWaitLongerThanItsTimeout() async throws {
        guard let (depot, test) = try await Self.server(.sqlite, ["LOGIN_STALL_TIME": "20000", "SERVER_SHUTDOWN_TIMEOUT": "500"]) else { return }
        let stuck = Task { try? await depot.request("POST", "/auth/login", json: .object([("email", "admin@example.com"), ("password", "wrong")])) }
        try await Task.sleep(for: .milliseconds(1000))
        let signalled = ContinuousClock.now
        kill(depot.process.processIdentifier, SIGTERM)
        await DepotProcess.waitForExit(depot.process, timeout: 15)
        #expect(!depot.process.isRunning)
        #expect(ContinuousClock.now - signalled < .seconds(10))   // not the 20 s the request would take
        stuck.cancel()
        await depot.stop()
        await test.drop()
    }

    @Test func rawLogStyleWritesJSONLines() async throws {
        guard let (depot, test) = try await Self.server(.sqlite, ["LOG_STYLE": "raw"]) else { return }
        _ = try await depot.request("GET", "/server/ping")
        await depot.stop()
        let lines = depot.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines { #expect((try? JSONValue.parse(Array(line.utf8)))?["msg"] != nil, "not JSON: \(line)") }
        #expect(lines.contains { $0.contains("\"path\":\"/server/ping\"") && $0.contains("\"status\":\"200\"") && $0.contains("request_id") })
        await test.drop()
    }
}
