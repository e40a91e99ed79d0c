import CMS
import Database
import Foundation
import Testing

@Suite struct MigrationTests {
    /// Directus's 29 system tables and Depot's own.
    static var systemTables: [String] {
        (Array(SchemaReference.shared.tables.keys) + SystemTables.depot.map(\.name)).sorted()
    }

    static func tables(_ db: any Database) async throws -> [String] {
        let sql = db.dialect == .postgres
            ? "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
            : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        return try await db.query(sql).compactMap { $0["name"].string }
    }

    @Test(arguments: Dialect.allCases)
    func migrationsCreateTheSystemTablesOnceAndAreIdempotent(dialect: Dialect) async throws {
        try await TestDatabase.with(dialect) { test, db in
            let first = try await Migrator.migrate(db, logger: TestServices.logger)
            #expect(first == Migrator.knownVersions)
            #expect(try await Self.tables(db) == Self.systemTables)
            let second = try await Migrator.migrate(db, logger: TestServices.logger)
            #expect(second.isEmpty)
            #expect(try await db.query("SELECT COUNT(*) AS n FROM directus_migrations").first?["n"].int == SchemaReference.shared.migrations.count)
            #expect(try await db.query("SELECT COUNT(*) AS n FROM depot_migrations").first?["n"].int == Migrator.knownVersions.count)
        }
    }

    @Test(arguments: Dialect.allCases)
    func concurrentMigratorsApplyEachMigrationOnce(dialect: Dialect) async throws {
        try await TestDatabase.with(dialect) { test, a in
            // Separate pools stand in for separate processes.
            let b = try await test.open(), c = try await test.open()
            let results = try await withThrowingTaskGroup(of: [String].self) { group in
                for db in [a, b, c] { group.addTask { try await Migrator.migrate(db, logger: TestServices.logger) } }
                return try await group.reduce(into: [[String]]()) { $0.append($1) }
            }
            await b.close()
            await c.close()
            #expect(results.flatMap { $0 }.sorted() == Migrator.knownVersions)
            #expect(try await Self.tables(a) == Self.systemTables)
        }
    }

    @Test(arguments: Dialect.allCases)
    func bootstrapCreatesOneAdministratorOnce(dialect: Dialect) async throws {
        try await TestDatabase.with(dialect) { test, db in
            let hasher = PasswordHasher(parameters: TestServices.fastHash)
            let bootstrap = BootstrapService(database: db, hasher: hasher, logger: TestServices.logger)
            let credentials = BootstrapService.AdminCredentials(email: "Boss@Example.com", password: "pw", token: "static-admin")
            let first = try await bootstrap.run(admin: credentials)
            #expect(first.createdAdmin == "boss@example.com")
            #expect(first.generatedPassword == nil)
            let second = try await bootstrap.run(admin: credentials)
            #expect(second.createdAdmin == nil)
            #expect(try await db.query("SELECT COUNT(*) AS n FROM directus_users").first?["n"].int == 1)
            let user = try #require(try await db.query("SELECT email, password, token, status FROM directus_users").first)
            #expect(user["token"] == "static-admin")
            #expect(try await hasher.verify("pw", against: user["password"].string ?? ""))
            // The admin's role carries an admin policy; a public policy exists with no role and no user.
            let admin = try await db.query("""
                SELECT p.admin_access FROM directus_users u JOIN directus_access a ON a.role = u.role
                JOIN directus_policies p ON p.id = a.policy
                """)
            #expect(admin.first?["admin_access"].bool == true)
            let publicPolicies = try await db.query("SELECT policy FROM directus_access WHERE role IS NULL AND \"user\" IS NULL")
            #expect(publicPolicies.count == 1)
            #expect(try await db.query("SELECT project_name FROM directus_settings").first?["project_name"] == "Directus")
            await hasher.shutdown()
        }
    }

    @Test func bootstrapWithoutCredentialsGeneratesAPassword() async throws {
        try await TestDatabase.with(.sqlite) { test, db in
            let hasher = PasswordHasher(parameters: TestServices.fastHash)
            let outcome = try await BootstrapService(database: db, hasher: hasher, logger: TestServices.logger).run(admin: .init())
            #expect(outcome.createdAdmin == "admin@example.com")
            let password = try #require(outcome.generatedPassword)
            #expect(password.count >= 16)
            let hash = try await db.query("SELECT password FROM directus_users").first?["password"].string ?? ""
            #expect(try await hasher.verify(password, against: hash))
            await hasher.shutdown()
        }
    }
}
