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

    /// The tags a committed write invalidates: the tables it wrote — so exactly the entries that read one of
    /// them; everything after a schema change (or a write that named no table), or, with
    /// `CACHE_AUTO_PURGE_MODE=all` (Directus's purge), after any write outside the ignore list.
    func tags(for event: ChangeEvent) -> Set<String> {
        if event.schemaChanged { return [CacheTag.all] }
        switch configuration.autoPurgeMode {
        case .precise: return event.tables
        case .all: return event.tables.isSubset(of: configuration.autoPurgeIgnoreList) ? event.tables : [CacheTag.all]
        }
    }

    func invalidate(_ tags: Set<String>) async {
        guard !tags.isEmpty else { return }
        do { try await store.invalidate(tags) }
        catch { logger.debug("cache invalidation deferred", metadata: ["error": "\(error)", "tags": "\(tags.sorted())"]) }
    }

    func clear() async { await invalidate([CacheTag.all]) }
}
