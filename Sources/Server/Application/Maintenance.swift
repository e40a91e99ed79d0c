import CMS
import Database
import Logging
import Storage

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

    /// Start-up reconciliation, before the server accepts requests: uploads a crashed process left pending
    /// lose their object (it has no row), and temporary files of writes that will never finish are removed.
    /// A location that cannot be reached is logged and left for the next start; it does not stop the server.
    public static func reconcileStorage(_ services: DepotServices, logger: Logger) async {
        let audit = FileStorageAudit(database: services.database, storage: services.storage,
                                     staleAfter: services.configuration.storage.staleWriteAge)
        var findings: [StorageFinding] = []
        do { findings += try await audit.reconcilePendingUploads() } catch {
            logger.warning("pending uploads not reconciled: \(error)")
        }
        do { findings += try await audit.temporaryFiles() } catch {
            logger.warning("temporary files not removed: \(error)")
        }
        for finding in findings { logger.debug("storage reconciliation: \(finding)") }
        if !findings.isEmpty {
            let uploads = findings.filter { $0.kind == .abandonedUpload }.count
            logger.notice("storage reconciliation: \(uploads) abandoned upload(s) reconciled, \(findings.count - uploads) temporary file(s) removed")
        }
    }

    /// `depot storage check`: one line per finding, then a summary line.
    public static func storageCheck(_ configuration: DepotConfiguration, location: String?, remove: Bool) async throws -> [String] {
        let findings = try await storageFindings(configuration, location: location, remove: remove)
        var counts: [String] = []
        for kind in [StorageFinding.Kind.orphanObject, .orphanDerivative, .missingObject, .abandonedUpload, .temporaryFile] {
            let found = findings.filter { $0.kind == kind }
            guard !found.isEmpty else { continue }
            let removed = found.filter(\.removed).count
            counts.append("\(found.count) \(kind.rawValue)" + (removed > 0 ? " (\(removed) removed)" : ""))
        }
        return findings.map(\.description) + ["storage check: " + (counts.isEmpty ? "no findings" : counts.joined(separator: ", "))]
    }

    /// What does not match between `directus_files` and the locations (all, or `location`).
    public static func storageFindings(_ configuration: DepotConfiguration, location: String?, remove: Bool) async throws -> [StorageFinding] {
        _ = try CurlRuntime.start()
        let storage = try StorageLocations(configuration.storage)
        let database: any Database
        do { database = try await openDatabase(configuration.database) } catch {
            await storage.shutdown()
            throw error
        }
        let audit = FileStorageAudit(database: database, storage: storage, staleAfter: configuration.storage.staleWriteAge)
        let outcome: Result<[StorageFinding], any Error>
        do { outcome = .success(try await audit.check(locations: location.map { [$0] }, remove: remove)) } catch { outcome = .failure(error) }
        await database.close()
        await storage.shutdown()
        return try outcome.get()
    }
}
