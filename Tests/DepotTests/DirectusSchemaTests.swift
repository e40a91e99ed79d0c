import CMS
import Database
import Foundation
import Testing

/// The schema Depot creates is Directus 11.17.4's, compared catalog against the reference replayed from
/// Directus's own migrations (Fixtures/directus-11.17.4-system-schema.json), on both dialects.
@Suite struct DirectusSchemaTests {
    static let reference = SchemaReference.shared

    /// Directus's tables, without the indexes Depot adds to them (documented, named `depot_…`).
    static func directusPart(_ catalog: CatalogSnapshot) -> CatalogSnapshot {
        catalog.filtered(tables: { $0.hasPrefix("directus_") }, indexes: { !$0.name.hasPrefix("depot_") })
    }

    @Test(arguments: Dialect.allCases)
    func depotCreatesDirectusSchemaExactly(dialect: Dialect) async throws {
        try await TestDatabase.with(dialect) { _, db in
            try await Migrator.migrate(db, logger: TestServices.logger)
            let catalog = try await CatalogSnapshot.read(db)
            let differences = Self.directusPart(catalog).differences(from: Self.reference.expectedCatalog(dialect))
            #expect(differences.isEmpty, "\(differences.count) differences:\n\(differences.joined(separator: "\n"))")

            // Depot's own tables are the only others, and its indexes on Directus's tables are named as its own.
            #expect(Set(catalog.tables.keys.filter { !$0.hasPrefix("directus_") }) == Set(SystemTables.depot.map(\.name)))
            let added = catalog.tables.values.flatMap(\.indexes).filter { $0.name.hasPrefix("depot_directus_") }.map(\.name).sorted()
            #expect(added == SystemTables.directusTableIndexes.map { "depot_\($0.table)_\($0.columns.joined(separator: "_"))_index" }.sorted())
        }
    }

    @Test(arguments: Dialect.allCases)
    func directusSeesAMigratedDatabaseAndDepotKeepsItsOwnRecord(dialect: Dialect) async throws {
        try await TestDatabase.with(dialect) { _, db in
            try await Migrator.migrate(db, logger: TestServices.logger)
            let rows = try await db.query("SELECT version, name FROM directus_migrations ORDER BY version")
            #expect(rows.map { "\($0["version"].string ?? "") \($0["name"].string ?? "")" }
                    == Self.reference.migrations.map { "\($0.version) \($0.name)" })
            let depot = try await db.query("SELECT version FROM depot_migrations ORDER BY version").compactMap { $0["version"].string }
            #expect(depot == Migrator.knownVersions)
            // The data rows of a fresh Directus install: the public policy with its access row, one settings row.
            let publicAccess = try await db.query("SELECT policy, sort FROM directus_access WHERE role IS NULL AND \"user\" IS NULL")
            #expect(publicAccess.map { $0["policy"].string } == ["abf8a154-5b1c-4a46-ac9c-7300570f4f17"])
            #expect(publicAccess.first?["sort"].int == 1)
            let settings = try await db.query("SELECT project_name, project_id FROM directus_settings")
            #expect(settings.count == 1)
            #expect(settings.first?["project_name"].string == "Directus")
            #expect(UUID(uuidString: settings.first?["project_id"].string ?? "") != nil)
        }
    }

    /// The builder the start-up tests use makes exactly the reference catalog, so what they start Depot on is
    /// what Directus leaves.
    @Test(arguments: Dialect.allCases)
    func theDirectusMadeDatabaseOfTheTestsIsTheReference(dialect: Dialect) async throws {
        try await TestDatabase.with(dialect) { _, db in
            try await DirectusMadeDatabase.create(db)
            let differences = try await CatalogSnapshot.read(db).differences(from: Self.reference.expectedCatalog(dialect))
            #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
        }
    }
}
