import Database
import Logging

/// Command-line maintenance that needs no HTTP server.
public enum Maintenance {
    /// Applies pending migrations to the configured database.
    public static func migrate(_ configuration: DepotConfiguration, logger: Logger) async throws {
        let database = try await openDatabase(configuration.database)
        let applied: [String]
        do {
            applied = try await Migrator.migrate(database, logger: logger)
        } catch {
            await database.close()
            throw error
        }
        logger.info(applied.isEmpty ? "database is up to date" : "applied \(applied.count) migration(s)")
        await database.close()
    }
}
