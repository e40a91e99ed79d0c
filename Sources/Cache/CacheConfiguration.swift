/// `CACHE_*` settings of the response cache (Directus's names and defaults, plus the memory store's bound).
public struct CacheConfiguration: Sendable, Equatable {
    public enum Store: String, Sendable { case memory, redis }
    /// `CACHE_ENABLED` (default off).
    public var enabled = false
    /// `CACHE_STORE`: memory (per instance) or redis (shared by instances).
    public var store: Store = .memory
    /// Where Redis is; also the rate limiter's and the cluster bus's.
    public var redis: RedisConfiguration?
    /// `CACHE_TTL` in seconds (default 5m).
    public var ttl: Double = 300
    /// `CACHE_NAMESPACE`: prefix of every key Depot writes to Redis.
    public var namespace = "system-cache"
    /// `CACHE_AUTO_PURGE`: in Directus, whether writes purge the cache at all. Depot never keeps an entry a
    /// write made stale (see `autoPurgeMode`); on, public answers are sent `no-cache`, as Directus sends them,
    /// since they may change at any moment.
    public var autoPurge = false
    /// What a write drops from the cache.
    public enum AutoPurgeMode: String, Sendable {
        /// The entries that read a table it wrote (the default, whatever `CACHE_AUTO_PURGE` says).
        case precise
        /// Everything, unless it wrote only tables of `autoPurgeIgnoreList` — Directus's purge.
        case all
    }
    /// `CACHE_AUTO_PURGE_MODE`: `precise` or `all`.
    public var autoPurgeMode = AutoPurgeMode.precise
    /// `CACHE_AUTO_PURGE_IGNORE_LIST`: collections whose writes do not empty the cache under `autoPurgeMode = .all`.
    public var autoPurgeIgnoreList: Set<String> = ["directus_activity", "directus_presets"]
    /// `CACHE_SKIP_ALLOWED`: a client's `Cache-Control: no-store` bypasses the cache.
    public var skipAllowed = false
    /// `CACHE_VALUE_MAX_SIZE`: larger responses are not stored (nil = no limit).
    public var valueMaxSize: Int?
    /// `CACHE_CONTROL_S_MAXAGE`: adds `s-maxage` to public responses when set.
    public var sMaxAge: Int?
    /// `CACHE_MEMORY_MAX_SIZE`: bytes the memory store holds before it drops the least recently used entries.
    public var memoryMaxSize = 64 << 20
    /// `REDIS_BUS_NAMESPACE`: the pub/sub channel between instances.
    public var busChannel = "depot:bus"

    public init() {}
}

/// `RATE_LIMITER_*`: requests allowed per client address, and (`RATE_LIMITER_GLOBAL_*`) for all callers together.
public struct RateLimiterConfiguration: Sendable, Equatable {
    public struct Limit: Sendable, Equatable {
        public var points: Int
        /// Seconds of the window.
        public var duration: Double
        public init(points: Int, duration: Double) {
            self.points = points
            self.duration = duration
        }
    }
    /// nil = not limited.
    public var perAddress: Limit?
    public var global: Limit?
    public var store: CacheConfiguration.Store = .memory

    public init() {}
}
