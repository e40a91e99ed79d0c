import Cache
import CMS
import Logging

/// The response cache of DESIGN.md: a tagged store (memory or Redis) behind the cacheable routes, invalidated
/// by the CMS's committed writes. Failures of the store are logged and bypassed, never answered as errors.
final class ResponseCache: Sendable {
    let store: any CacheStore
    let configuration: CacheConfiguration
    let logger: Logger

    init(store: any CacheStore, configuration: CacheConfiguration, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
    }

    /// The tags a committed write invalidates: the tables it wrote; everything after a schema change, or
    /// (`CACHE_AUTO_PURGE`, Directus's behaviour) after any write outside the ignore list.
    func tags(for event: ChangeEvent) -> Set<String> {
        if event.schemaChanged { return [CacheTag.all] }
        if configuration.autoPurge { return event.tables.subtracting(configuration.autoPurgeIgnoreList).isEmpty ? [] : [CacheTag.all] }
        return event.tables
    }

    func invalidate(_ tags: Set<String>) async {
        guard !tags.isEmpty else { return }
        do { try await store.invalidate(tags) }
        catch { logger.debug("cache invalidation deferred", metadata: ["error": "\(error)", "tags": "\(tags.sorted())"]) }
    }

    func clear() async { await invalidate([CacheTag.all]) }
}
