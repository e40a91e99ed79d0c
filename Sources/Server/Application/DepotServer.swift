import CMS
import Hummingbird
import Logging
import ServiceLifecycle

/// Depot's version, reported by `/server/info` to admins.
public let depotVersion = "0.1.0"

/// The HTTP application: the pipeline of DESIGN.md and the routes.
public enum DepotServer {
    public static func router(_ services: DepotServices, logger: Logger) -> Router<DepotRequestContext> {
        let configuration = services.configuration
        let router = Router(context: DepotRequestContext.self)
        router.add(middleware: ClientAddressMiddleware(proxy: configuration.proxy))
        router.add(middleware: ExpectContinueMiddleware())
        if configuration.compression.enabled { router.add(middleware: ResponseCompressionMiddleware(configuration: configuration.compression)) }
        router.add(middleware: RequestLogMiddleware(logger: logger))
        router.add(middleware: DepotCORSMiddleware(configuration: configuration.cors))
        router.add(middleware: ErrorMiddleware(logger: logger))
        router.add(middleware: AuthenticationMiddleware(authentication: services.authentication, sessionCookie: configuration.cookies.sessionName))
        if let store = services.rateLimits {
            router.add(middleware: RateLimitMiddleware(store: store, configuration: configuration.rateLimiter, logger: logger))
        }
        router.add(middleware: ResponseCacheMiddleware(cache: services.responseCache, configuration: configuration.cache,
                                                       permissions: services.permissions, maxPayloadSize: configuration.maxPayloadSize))

        let health = HealthCheck(database: services.database, databaseClient: configuration.database.client,
                                 storage: services.storage, cache: services.responseCache, redis: services.redis, transformer: services.transformer,
                                 lifecycle: services.lifecycle,
                                 thresholds: configuration.health)
        ServerController(health: health, settings: services.settings,
                         versions: [("depot", depotVersion), ("vips", services.vips.version), ("curl", services.curlVersion)]).register(on: router)
        AuthController(authentication: services.authentication, cookies: configuration.cookies,
                       maxPayloadSize: configuration.maxPayloadSize, refreshTTL: configuration.auth.refreshTokenTTL,
                       sessionTTL: configuration.auth.sessionCookieTTL).register(on: router)
        UsersController(users: services.users, maxPayloadSize: configuration.maxPayloadSize).register(on: router)
        FilesController(files: services.files, items: services.items, http: services.storage.http, maxPayloadSize: configuration.maxPayloadSize).register(on: router)
        FoldersController(folders: services.folders, items: services.items, maxPayloadSize: configuration.maxPayloadSize).register(on: router)
        AssetsController(assets: services.assets, files: services.files, cacheTTL: configuration.assetsCacheTTL).register(on: router)
        ItemsController(items: services.items, maxPayloadSize: configuration.maxPayloadSize).register(on: router)
        PermissionsController(permissions: services.permissions, schemas: services.items.schemas).register(on: router)
        // System collections with the items routes at their own paths (the access model, users, flows and operations,
        // and what clients keep beside their content).
        for (path, table) in [("/users", "directus_users"), ("/roles", "directus_roles"), ("/policies", "directus_policies"),
                              ("/access", "directus_access"), ("/permissions", "directus_permissions"),
                              ("/flows", "directus_flows"), ("/operations", "directus_operations"),
                              ("/translations", "directus_translations"), ("/presets", "directus_presets"),
                              ("/comments", "directus_comments"), ("/notifications", "directus_notifications"),
                              ("/shares", "directus_shares"), ("/dashboards", "directus_dashboards"),
                              ("/panels", "directus_panels"), ("/versions", "directus_versions")] {
            ItemsController(items: services.items, maxPayloadSize: configuration.maxPayloadSize, systemCollection: (path, table)).register(on: router)
        }
        // Directus's /deployment lists its provider configurations as items; its other routes drive the providers.
        ItemsController(items: services.items, maxPayloadSize: configuration.maxPayloadSize,
                        systemCollection: ("/deployment", "directus_deployments"), listOnly: true).register(on: router)
        ExtensionsController(extensions: ExtensionsService(items: services.items), maxPayloadSize: configuration.maxPayloadSize).register(on: router)
        SchemaController(schema: services.schema, maxPayloadSize: configuration.maxPayloadSize, items: services.items).register(on: router)
        SettingsController(settings: services.settings, maxPayloadSize: configuration.maxPayloadSize).register(on: router)
        CacheController(cache: services.responseCache).register(on: router)
        UtilitiesController(items: services.items, hasher: services.hasher, imports: services.imports, exports: services.exports,
                            maxPayloadSize: configuration.maxPayloadSize).register(on: router)
        return router
    }

    /// Serves until SIGTERM/SIGINT: then stops accepting, lets in-flight requests finish, and closes the pools.
    public static func run(_ services: DepotServices, logger: Logger) async throws {
        let configuration = services.configuration
        if let warning = configuration.cors.warning { logger.warning("\(warning)") }
        let limits = configuration.connections, counter = ConnectionCounter()
        let app = Application(
            router: router(services, logger: logger),
            server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionTimeoutHandler(limits: limits, counter: counter), SendfileInstaller()])),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                logger.info("depot \(depotVersion) listening on \(channel.localAddress?.description ?? "?")", metadata: [
                    "database": "\(configuration.database.client)", "storage": "\(services.storage.names.joined(separator: ","))",
                ])
            },
            logger: logger)
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: ResourceCloser(services: services)), .init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // After SERVER_SHUTDOWN_TIMEOUT, requests still running are cancelled rather than awaited.
        groupConfiguration.maximumGracefulShutdownDuration = .milliseconds(Int64(configuration.shutdownTimeout * 1000))
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
    }
}

/// Listed before the application in the service group, so it shuts down after it: pools close only once
/// the server has stopped accepting and finished its in-flight requests.
struct ResourceCloser: Service {
    let services: DepotServices

    func run() async throws {
        await withGracefulShutdownHandler {
            try? await gracefulShutdown()
        } onGracefulShutdown: {
            services.lifecycle.beginShutdown()
        }
        await services.shutdown()
    }
}
