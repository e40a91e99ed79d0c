import Cache
import CMS
import Database
import Foundation
@testable import Server
import Testing

/// A migrated, bootstrapped database with its services.
struct AuthFixture {
    let test: TestDatabase
    let db: any Database
    let hasher: PasswordHasher
    let auth: AuthenticationService

    static func make(_ dialect: Dialect, configure: (inout AuthConfiguration) -> Void = { _ in }) async throws -> AuthFixture? {
        guard let test = try await TestDatabase.make(dialect) else { return nil }
        let db = try await test.open()
        let hasher = PasswordHasher(parameters: TestServices.fastHash)
        _ = try await BootstrapService(database: db, hasher: hasher, logger: TestServices.logger)
            .run(admin: .init(email: "admin@example.com", password: "right", token: "static-token"))
        var configuration = AuthConfiguration(secret: "test-secret")
        configuration.loginStallTime = 0.05
        configure(&configuration)
        let auth = AuthenticationService(database: db, hasher: hasher, configuration: configuration,
                                         permissions: PermissionsResolver(database: db),
                                         counters: RateLimitLoginCounters(store: MemoryRateLimitStore()), logger: TestServices.logger)
        return AuthFixture(test: test, db: db, hasher: hasher, auth: auth)
    }

    func close() async {
        await db.close()
        await hasher.shutdown()
        await test.drop()
    }
}

@Suite struct AuthenticationTests {
    let caller = Accountability(ip: "127.0.0.1", userAgent: "tests")

    @Test(arguments: Dialect.allCases)
    func loginIssuesATokenForTheAdmin(dialect: Dialect) async throws {
        guard let f = try await AuthFixture.make(dialect) else { return }
        let tokens = try await f.auth.login(email: "ADMIN@example.com", password: "right", mode: .json, context: caller)
        #expect(tokens.expiresMs == 900_000)
        #expect(tokens.refreshToken.count == 64)
        let who = try await f.auth.accountability(forToken: tokens.accessToken, ip: nil, userAgent: nil)
        #expect(who.admin && who.app && who.user != nil)
        let sessions = try await f.db.query("SELECT ip, user_agent FROM directus_sessions")
        #expect(sessions.count == 1 && sessions[0]["ip"] == "127.0.0.1" && sessions[0]["user_agent"] == "tests")
        let activity = try await f.db.query("SELECT action FROM directus_activity")
        #expect(activity.map { $0["action"] } == ["login"])
        await f.close()
    }

    @Test(arguments: Dialect.allCases)
    func wrongPasswordAndUnknownEmailAreInvalidCredentials(dialect: Dialect) async throws {
        guard let f = try await AuthFixture.make(dialect) else { return }
        await #expect(throws: CMSError.invalidCredentials) {
            _ = try await f.auth.login(email: "admin@example.com", password: "wrong", mode: .json, context: caller)
        }
        let started = ContinuousClock.now
        await #expect(throws: CMSError.invalidCredentials) {
            _ = try await f.auth.login(email: "nobody@example.com", password: "right", mode: .json, context: caller)
        }
        #expect(ContinuousClock.now - started >= .milliseconds(50))   // stalled like every failure
        #expect(try await f.db.query("SELECT COUNT(*) AS n FROM directus_sessions").first?["n"].int == 0)
        await f.close()
    }

    @Test(arguments: Dialect.allCases)
    func refreshRotatesAndTheOldTokenStopsWorking(dialect: Dialect) async throws {
        guard let f = try await AuthFixture.make(dialect) else { return }
        let first = try await f.auth.login(email: "admin@example.com", password: "right", mode: .json, context: caller)
        let second = try await f.auth.refresh(first.refreshToken, mode: .json)
        #expect(second.refreshToken != first.refreshToken)
        await #expect(throws: CMSError.invalidCredentials) { _ = try await f.auth.refresh(first.refreshToken, mode: .json) }
        let third = try await f.auth.refresh(second.refreshToken, mode: .json)
        _ = try await f.auth.accountability(forToken: third.accessToken, ip: nil, userAgent: nil)
        try await f.auth.logout(third.refreshToken)
        await #expect(throws: CMSError.invalidCredentials) { _ = try await f.auth.refresh(third.refreshToken, mode: .json) }
        await f.close()
    }

    @Test(arguments: Dialect.allCases)
    func concurrentRefreshesWithOneTokenYieldOneWinner(dialect: Dialect) async throws {
        guard let f = try await AuthFixture.make(dialect) else { return }
        let tokens = try await f.auth.login(email: "admin@example.com", password: "right", mode: .json, context: caller)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { (try? await f.auth.refresh(tokens.refreshToken, mode: .json)) != nil } }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        await f.close()
    }

    @Test(arguments: Dialect.allCases)
    func expiredRefreshTokensAreRefused(dialect: Dialect) async throws {
        guard let f = try await AuthFixture.make(dialect) else { return }
        let tokens = try await f.auth.login(email: "admin@example.com", password: "right", mode: .json, context: caller)
        try await f.db.execute("UPDATE directus_sessions SET expires = ?", [.timestamp(Date().addingTimeInterval(-1))])
        await #expect(throws: CMSError.invalidCredentials) { _ = try await f.auth.refresh(tokens.refreshToken, mode: .json) }
        await f.close()
    }

    @Test(arguments: Dialect.allCases)
    func staticTokensAuthenticateActiveUsersOnly(dialect: Dialect) async throws {
        guard let f = try await AuthFixture.make(dialect) else { return }
        let who = try await f.auth.accountability(forToken: "static-token", ip: nil, userAgent: nil)
        #expect(who.admin)
        await #expect(throws: CMSError.invalidCredentials) {
            _ = try await f.auth.accountability(forToken: "not-a-token", ip: nil, userAgent: nil)
        }
        // Suspended in the database directly, behind Depot's back: the token stops working once the resolved
        // account has aged out (a write through the API drops it at once: PermissionsMatrixTests).
        try await f.db.execute("UPDATE directus_users SET status = 'suspended'")
        let edited = ContinuousClock.now
        while (try? await f.auth.accountability(forToken: "static-token", ip: nil, userAgent: nil)) != nil,
              ContinuousClock.now - edited < PermissionsResolver.accountTTL * 5 {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(ContinuousClock.now - edited < PermissionsResolver.accountTTL * 5)
        await #expect(throws: CMSError.invalidCredentials) {
            _ = try await f.auth.accountability(forToken: "static-token", ip: nil, userAgent: nil)
        }
        await #expect(throws: CMSError.userSuspended) {
            _ = try await f.auth.login(email: "admin@example.com", password: "right", mode: .json, context: caller)
        }
        await f.close()
    }

    @Test(arguments: Dialect.allCases)
    func sessionModeTokensDieWithTheirSession(dialect: Dialect) async throws {
        guard let f = try await AuthFixture.make(dialect) else { return }
        let tokens = try await f.auth.login(email: "admin@example.com", password: "right", mode: .session, context: caller)
        #expect(tokens.expiresMs == 86_400_000)
        _ = try await f.auth.accountability(forToken: tokens.accessToken, ip: nil, userAgent: nil)
        #expect(try f.auth.sessionToken(inSessionJWT: tokens.accessToken) == tokens.refreshToken)
        try await f.auth.logout(tokens.refreshToken)
        await #expect(throws: CMSError.invalidCredentials) {
            _ = try await f.auth.accountability(forToken: tokens.accessToken, ip: nil, userAgent: nil)
        }
        await f.close()
    }

    @Test(arguments: Dialect.allCases)
    func usersUpdateTheirOwnRecordOnly(dialect: Dialect) async throws {
        guard let f = try await AuthFixture.make(dialect) else { return }
        let permissions = PermissionsResolver(database: f.db)
        let items = ItemsService(database: f.db, schemas: SchemaCache(database: f.db), hashParameters: TestServices.fastHash, permissions: permissions)
        let users = UsersService(database: f.db, items: items, permissions: permissions)
        let me = try await f.auth.accountability(forToken: "static-token", ip: nil, userAgent: nil)
        let updated = try await users.updateMe(me, payload: .object([("first_name", "Ada"), ("password", "new-pass")]))
        #expect(updated["first_name"] == "Ada")
        #expect(updated["password"] == "**********")
        _ = try await f.auth.login(email: "admin@example.com", password: "new-pass", mode: .json, context: caller)
        await #expect(throws: CMSError.self) { _ = try await users.updateMe(me, payload: .object([("role", .null)])) }
        await #expect(throws: CMSError.self) { _ = try await users.updateMe(me, payload: .object([("first_name", .object([]))])) }
        await #expect(throws: CMSError.self) { _ = try await users.updateMe(me, payload: .object([("password", "")])) }
        await #expect(throws: CMSError.invalidCredentials) { _ = try await users.me(.publicCaller()) }
        await #expect(throws: CMSError.self) { _ = try await users.updateMe(me, payload: .object([("token", "")])) }
        await #expect(throws: CMSError.invalidCredentials) { _ = try await f.auth.accountability(forToken: "", ip: nil, userAgent: nil) }
        // A taken e-mail is RECORD_NOT_UNIQUE naming the field, recognised from the driver's codes on both dialects.
        try await f.db.execute("INSERT INTO directus_users (id, email) VALUES (?, 'taken@example.com')", [.text(RandomToken.uuid())])
        do {
            _ = try await users.updateMe(me, payload: .object([("email", "taken@example.com")]))
            Issue.record("duplicate e-mail was accepted")
        } catch let error as CMSError {
            #expect(error.code == "RECORD_NOT_UNIQUE" && error.status == 400)
            #expect(error.extensions["field"] == "email" && error.extensions["collection"] == "directus_users")
        }
        await f.close()
    }
}
