import Assets
import Cache
import CMS
import Logging

/// Turns the CMS's committed writes into cache invalidation here and messages to the other instances, and
/// the other instances' messages into reloads here: the schema snapshot, the permissions (and accounts), the
/// settings, what `/assets` keeps in memory (file lookups, derivative records), and — when each instance has its
/// own memory store — the cache entries the write made stale.
final class ClusterSync: Sendable {
    let cache: ResponseCache?
    let bus: ClusterBus?
    let schemas: SchemaCache
    let permissions: PermissionsResolver
    let settings: SettingsService
    let assetLookups: AssetLookups
    let transformer: AssetTransformer
    let logger: Logger
    /// A file's derivatives were removed (names: the file ids).
    static let derivativesRemoved = "derivatives"
    /// Only a per-instance store needs the others' invalidations; a Redis store is shared by construction.
    private var sharesInvalidation: Bool { cache != nil && !(cache!.store is RedisCacheStore) }

    init(cache: ResponseCache?, bus: ClusterBus?, schemas: SchemaCache, permissions: PermissionsResolver, settings: SettingsService,
         assetLookups: AssetLookups, transformer: AssetTransformer, logger: Logger) {
        self.assetLookups = assetLookups
        self.transformer = transformer
        self.cache = cache
        self.bus = bus
        self.schemas = schemas
        self.permissions = permissions
        self.settings = settings
        self.logger = logger
    }

    /// Returns once the bus listens (or after a short wait when Redis is away).
    func start(feed: ChangeFeed) async {
        feed.subscribe { [self] event in await changed(event) }
        await bus?.start(onMessage: { [self] message in received(message) }, onResync: { [self] in resync() })
    }

    func changed(_ event: ChangeEvent) async {
        // Any committed write to an access table (through items, users, auth, …) drops the resolved permissions here.
        if event.accessChanged { permissions.invalidate() }
        assetLookups.invalidate(tables: event.tables, access: event.accessChanged)
        let tags = cache.map { $0.tags(for: event) } ?? []
        if let cache { await cache.invalidate(tags) }
        guard let bus else { return }
        var messages: [BusMessage] = []
        if event.schemaChanged { messages.append(BusMessage(kind: "schema")) }
        if event.accessChanged { messages.append(BusMessage(kind: "access")) }
        if event.settingsChanged { messages.append(BusMessage(kind: "settings")) }
        if !event.tables.isEmpty { messages.append(BusMessage(kind: "tables", names: event.tables.sorted())) }
        if sharesInvalidation, !tags.isEmpty { messages.append(BusMessage(kind: "invalidate", names: tags.sorted())) }
        for message in messages {
            do { try await bus.publish(message) }
            catch { logger.debug("cluster bus publish failed", metadata: ["kind": "\(message.kind)", "error": "\(error)"]) }
        }
    }

    /// Runs on the bus's thread: only quick, non-blocking work here (the invalidation of a memory store is).
    func received(_ message: BusMessage) {
        logger.debug("cluster bus message", metadata: ["kind": "\(message.kind)"])
        switch message.kind {
        case "schema": schemas.invalidate()
        case "access":
            permissions.invalidate()
            assetLookups.removeAll()
        case "settings": settings.reload()
        case "tables": assetLookups.invalidate(tables: Set(message.names), access: false)
        case Self.derivativesRemoved: for id in message.names { transformer.evict(fileID: id) }
        case "invalidate": invalidateLocally(Set(message.names))
        default: break
        }
    }

    /// The bus reconnected: messages may have been lost, so everything kept locally is dropped.
    func resync() {
        schemas.invalidate()
        permissions.invalidate()
        settings.reload()
        assetLookups.removeAll()
        transformer.evictAll()
        invalidateLocally([CacheTag.all])
    }

    private func invalidateLocally(_ tags: Set<String>) {
        guard sharesInvalidation, let cache else { return }
        Task { await cache.invalidate(tags) }
    }
}
