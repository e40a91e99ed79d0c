import Assets
import Cache
import CMS
import Database
import Foundation
import Logging
import Storage

/// Every client and service, built once at start-up and passed down (no globals).
public final class DepotServices: Sendable {
    public let configuration: DepotConfiguration
    public let database: any Database
    public let hasher: PasswordHasher
    public let authentication: AuthenticationService
    public let users: UsersService
    public let settings: SettingsService
    public let storage: StorageLocations
    public let files: FilesService
    public let folders: FoldersService
    public let redis: RedisClient?
    public let vips: VipsRuntime
    public let transformer: AssetTransformer
    /// `/assets`: from a request to the bytes of an original or a derivative.
    public let assets: AssetService
    public let items: ItemsService
    /// `/utils/import` and `/utils/export`.
    public let imports: ImportService
    public let exports: ExportService
    /// Effective permissions per caller, cached until an access table changes.
    public let permissions: PermissionsResolver
    public let schema: SchemaService
    public let curlVersion: String
    public let bootstrap: BootstrapService.Outcome
    /// The CMS's committed writes, announced to the response cache and the other instances.
    public let changes = ChangeFeed()
    /// nil when `CACHE_ENABLED` is off.
    let responseCache: ResponseCache?
    /// nil when no rate limiter is enabled.
    let rateLimits: (any RateLimitStore)?
    /// Pub/sub with the other instances; nil without Redis.
    let bus: ClusterBus?
    let sync: ClusterSync
    let lifecycle = Lifecycle()

    /// Opens the database, migrates and bootstraps it, and starts storage, Redis and libvips.
    public static func start(_ configuration: DepotConfiguration, logger: Logger) async throws -> DepotServices {
        var configuration = configuration
        try Secrets.resolve(&configuration, logger: logger)
        configuration.auth.secret = configuration.secret!
        let vips = try VipsRuntime.start(configuration.assets)
        let curlVersion = try CurlRuntime.start()
        let storage = try StorageLocations(configuration.storage)
        let database = try await openDatabase(configuration.database)
        let hasher = PasswordHasher(parameters: configuration.hash)
        do {
            let outcome = try await BootstrapService(database: database, hasher: hasher, logger: logger).run(admin: configuration.admin)
            if let email = outcome.createdAdmin, let password = outcome.generatedPassword {
                // Logged once, as a warning so that LOG_LEVEL=warn shows it too: there is no other way to learn a
                // generated password. The log handler writes unbuffered, so it appears at once under Docker or systemd.
                logger.warning("Created the first administrator: \(email) with password \(password) — change it after logging in.")
            }
            // Directus's tables as this database has them: the services that read them select what exists.
            let system = try await SchemaCache(database: database).snapshot().systemPart
            let redis = configuration.cache.redis.map { RedisClient(configuration: $0, logger: logger) }
            let services = DepotServices(configuration: configuration, database: database, hasher: hasher, storage: storage,
                                         redis: redis, vips: vips, curlVersion: curlVersion, bootstrap: outcome, system: system,
                                         logger: logger)
            await services.sync.start(feed: services.changes)
            return services
        } catch {
            await database.close()
            await hasher.shutdown()
            await storage.shutdown()
            throw error
        }
    }

    private init(configuration: DepotConfiguration, database: any Database, hasher: PasswordHasher, storage: StorageLocations,
                 redis: RedisClient?, vips: VipsRuntime, curlVersion: String, bootstrap: BootstrapService.Outcome,
                 system: SchemaSnapshot, logger: Logger) {
        self.configuration = configuration
        self.database = database
        self.hasher = hasher
        // The CMS writes and reads through the tracked database: its commits feed cache invalidation, and
        // the reads of a cached request tag the entry.
        let database = TrackedDatabase(database, feed: changes)
        let permissions = PermissionsResolver(database: database)
        self.permissions = permissions
        let limiter = configuration.rateLimiter
        let limits: any RateLimitStore = limiter.store == .redis && redis != nil
            ? FallbackRateLimitStore(primary: RedisRateLimitStore(client: redis!, namespace: configuration.cache.namespace + ":rate"))
            : MemoryRateLimitStore()
        rateLimits = limiter.perAddress != nil || limiter.global != nil ? limits : nil
        self.authentication = AuthenticationService(database: database, hasher: hasher, configuration: configuration.auth,
                                                    permissions: permissions, counters: RateLimitLoginCounters(store: limits),
                                                    logger: logger)
        let settings = SettingsService(database: database, validators: AssetSettingsValidation.validators(configuration.assets),
                                       permissions: permissions, system: system)
        self.settings = settings
        self.storage = storage
        // Derivatives are no cached answer's data: their index writes bypass the change feed.
        let transformer = AssetTransformer(configuration: configuration.assets, database: self.database, logger: logger)
        self.transformer = transformer
        self.assets = AssetService(transformer: transformer, storage: storage) {
            let stored = try await settings.assetTransformSettings()
            return StoredAssetSettings(transform: stored.transform, presetsJSON: stored.presetsJSON)
        }
        let bus = redis.map { ClusterBus(client: $0, channel: configuration.cache.busChannel, logger: logger) }
        self.bus = bus
        self.files = FilesService(database: database, storage: storage, inspector: VipsImageInspector(reader: ImageHeaderReader(vips: vips, maxBufferedSource: configuration.assets.maxBufferedSource)),
                                  configuration: configuration.files, permissions: permissions, system: system) { id in
            try await transformer.removeDerivatives(fileID: id, driver: storage.driver)
            // Sent once the records are gone: an instance that reads them again after this finds none.
            try? await bus?.publish(BusMessage(kind: ClusterSync.derivativesRemoved, names: [id]))
        }
        self.folders = FoldersService(database: database, permissions: permissions, system: system)
        let schemas = SchemaCache(database: database)
        self.schema = SchemaService(database: database, cache: schemas, permissions: permissions)
        self.items = ItemsService(database: database, schemas: schemas, hashParameters: configuration.hash,
                                  limits: configuration.queryLimits,
                                  permissions: permissions)
        self.users = UsersService(database: database, items: items, permissions: permissions, system: system)
        var importConfiguration = ImportService.Configuration()
        importConfiguration.maxFileSize = configuration.files.maxUploadSize
        importConfiguration.maxRowBytes = configuration.maxPayloadSize
        importConfiguration.maxErrors = configuration.maxImportErrors
        self.imports = ImportService(items: items, configuration: importConfiguration, logger: logger)
        self.exports = ExportService(items: items, files: files, batchSize: configuration.exportBatchSize, logger: logger)
        self.redis = redis
        let cacheConfiguration = configuration.cache
        if cacheConfiguration.enabled {
            let store: any CacheStore = cacheConfiguration.store == .redis && redis != nil
                ? RedisCacheStore(client: redis!, namespace: cacheConfiguration.namespace)
                : MemoryCacheStore(maxBytes: cacheConfiguration.memoryMaxSize)
            responseCache = ResponseCache(store: store, configuration: cacheConfiguration, logger: logger)
        } else {
            responseCache = nil
        }
        sync = ClusterSync(cache: responseCache, bus: bus, schemas: schemas, permissions: permissions, settings: settings,
                           assetLookups: files.assetLookups, transformer: transformer, logger: logger)
        self.vips = vips
        self.curlVersion = curlVersion
        self.bootstrap = bootstrap
    }

    /// Closes pools and threads; called after the HTTP server has drained.
    public func shutdown() async {
        await database.close()
        await hasher.shutdown()
        await storage.shutdown()
        await bus?.shutdown()
        await redis?.shutdown()
        await transformer.shutdown()
    }
}
