/// A store of tagged values with precise invalidation. Each entry carries the tags it depends on (for the
/// response cache: the collections a response read) and the store's sequence number taken *before* it was
/// read; `invalidate` stamps tags with a new sequence number. An entry is served only while none of its tags
/// was stamped after it was read — so a write that races a read can't leave a stale entry behind, and a lost
/// invalidation can at worst live until the entry's TTL. The tag `*` is on every entry: stamping it empties
/// the store at once.
public protocol CacheStore: Sendable {
    /// The value under `key` when present, unexpired and valid; else the sequence number to store with.
    func lookup(_ key: String) async throws -> CacheLookup
    /// Stores `value` under `key`, valid for `ttl` seconds unless one of `tags` is stamped after `readAt`.
    func store(_ key: String, _ value: [UInt8], tags: Set<String>, readAt: UInt64, ttl: Double) async throws
    /// Stamps `tags`: every entry depending on one of them is invalid from now on.
    func invalidate(_ tags: Set<String>) async throws
}

public enum CacheLookup: Sendable, Equatable {
    case hit([UInt8])
    case miss(readAt: UInt64)
}

public enum CacheTag {
    /// On every entry; invalidating it empties the whole store.
    public static let all = "*"
}
