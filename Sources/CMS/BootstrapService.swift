import Database
import Foundation
import Logging

/// First-start set-up: migrations, then (when no user exists) the administrator role, policy and user,
/// the public policy and the settings row.
public struct BootstrapService: Sendable {
    public struct AdminCredentials: Sendable {
        public var email: String?
        public var password: String?
        public var token: String?
        public init(email: String? = nil, password: String? = nil, token: String? = nil) {
            self.email = email
            self.password = password
            self.token = token
        }
    }

    /// What bootstrap did: the admin it created, and the generated password when none was configured.
    public struct Outcome: Sendable {
        public var migrationsApplied: [String]
        public var createdAdmin: String?
        public var generatedPassword: String?
    }

    let database: any Database
    let hasher: PasswordHasher
    let logger: Logger

    public init(database: any Database, hasher: PasswordHasher, logger: Logger) {
        self.database = database
        self.hasher = hasher
        self.logger = logger
    }

    /// Idempotent, and safe from two processes at once: the user check and the inserts share one locked transaction.
    public func run(admin: AdminCredentials) async throws -> Outcome {
        let applied = try await Migrator.migrate(database, logger: logger)
        let existing = try await database.query("SELECT COUNT(*) AS n FROM directus_users")
        guard existing.first?["n"].int == 0 else {
            return Outcome(migrationsApplied: applied, createdAdmin: nil, generatedPassword: nil)
        }
        let email = admin.email ?? "admin@example.com"
        let generated = admin.password == nil ? RandomToken.nanoid(16) : nil
        let hash = try await hasher.hash(admin.password ?? generated!)
        let created = try await database.transaction { connection -> Bool in
            if connection.dialect == .postgres { _ = try connection.query("SELECT pg_advisory_xact_lock(7305210443)") }
            guard try connection.query("SELECT COUNT(*) AS n FROM directus_users").first?["n"].int == 0 else { return false }
            let role = RandomToken.uuid(), adminPolicy = RandomToken.uuid()
            try connection.execute("INSERT INTO directus_roles (id, name, icon, description) VALUES (?, 'Administrator', 'verified', '$t:admin_description')", [.text(role)])
            try connection.execute(
                "INSERT INTO directus_policies (id, name, icon, description, admin_access, app_access) VALUES (?, 'Administrator', 'verified', '$t:admin_description', ?, ?)",
                [.text(adminPolicy), true, true])
            try connection.execute("INSERT INTO directus_access (id, role, \"user\", policy) VALUES (?, ?, NULL, ?)", [.text(RandomToken.uuid()), .text(role), .text(adminPolicy)])
            // The schema's creation made the public policy, as Directus's migration does; a database that lost it gets it back.
            if try connection.query("SELECT COUNT(*) AS n FROM directus_access WHERE role IS NULL AND \"user\" IS NULL").first?["n"].int == 0 {
                try connection.execute(
                    "INSERT INTO directus_policies (id, name, icon, description, admin_access, app_access) VALUES (?, '$t:public_label', 'public', '$t:public_description', ?, ?)",
                    [.text(Migrator.publicPolicy), false, false])
                try connection.execute("INSERT INTO directus_access (id, role, \"user\", policy, sort) VALUES (?, NULL, NULL, ?, 1)",
                                       [.text(RandomToken.uuid()), .text(Migrator.publicPolicy)])
            }
            try connection.execute(
                "INSERT INTO directus_users (id, first_name, last_name, email, password, status, role, token) VALUES (?, 'Admin', 'User', ?, ?, 'active', ?, ?)",
                [.text(RandomToken.uuid()), .text(email.lowercased()), .text(hash), .text(role), .optional(admin.token)])
            if try connection.query("SELECT COUNT(*) AS n FROM directus_settings").first?["n"].int == 0 {
                try connection.execute("INSERT INTO directus_settings (project_name) VALUES ('Directus')")
            }
            return true
        }
        guard created else { return Outcome(migrationsApplied: applied, createdAdmin: nil, generatedPassword: nil) }
        logger.info("created the first administrator", metadata: ["email": "\(email.lowercased())"])
        return Outcome(migrationsApplied: applied, createdAdmin: email.lowercased(), generatedPassword: generated)
    }
}
