import Cache

extension DepotConfiguration {
    /// `CACHE_*`, and where Redis is (`REDIS`, `CACHE_REDIS`, or `REDIS_HOST`/`REDIS_PORT`/`REDIS_USERNAME`/
    /// `REDIS_PASSWORD`/`REDIS_DB`).
    static func cache(_ env: EnvironmentSource) throws -> CacheConfiguration {
        var cache = CacheConfiguration()
        cache.enabled = try env.bool("CACHE_ENABLED", default: false)
        if let url = env["REDIS"] ?? env["CACHE_REDIS"] {
            guard let redis = RedisConfiguration(url: url) else {
                throw ConfigurationError(env["REDIS"] != nil ? "REDIS" : "CACHE_REDIS", "must be a redis://host:port/db URL")
            }
            cache.redis = redis
        } else if let host = env["REDIS_HOST"] {
            cache.redis = RedisConfiguration(host: host, port: try env.int("REDIS_PORT", default: 6379, range: 1...65535),
                                             username: env["REDIS_USERNAME"], password: env["REDIS_PASSWORD"],
                                             database: try env.int("REDIS_DB", default: 0, range: 0...1024))
        }
        cache.redis?.poolSize = try env.int("REDIS_POOL_SIZE", default: 4, range: 1...64)
        cache.store = try store(env, "CACHE_STORE", redis: cache.redis)
        cache.ttl = try env.duration("CACHE_TTL", default: cache.ttl)
        cache.namespace = env.string("CACHE_NAMESPACE", default: cache.namespace)
        cache.autoPurge = try env.bool("CACHE_AUTO_PURGE", default: cache.autoPurge)
        if let mode = env["CACHE_AUTO_PURGE_MODE"] {
            guard let parsed = CacheConfiguration.AutoPurgeMode(rawValue: mode.lowercased()) else {
                throw ConfigurationError("CACHE_AUTO_PURGE_MODE", "must be precise or all (got \"\(mode)\")")
            }
            cache.autoPurgeMode = parsed
        }
        if let list = env.list("CACHE_AUTO_PURGE_IGNORE_LIST") { cache.autoPurgeIgnoreList = Set(list) }
        cache.skipAllowed = try env.bool("CACHE_SKIP_ALLOWED", default: cache.skipAllowed)
        if let size = env["CACHE_VALUE_MAX_SIZE"], size.lowercased() != "false" {
            cache.valueMaxSize = try env.bytes("CACHE_VALUE_MAX_SIZE", default: 0)
        }
        if env["CACHE_CONTROL_S_MAXAGE"] != nil {
            cache.sMaxAge = try env.int("CACHE_CONTROL_S_MAXAGE", default: 0, range: 0...Int(Int32.max))
        }
        cache.memoryMaxSize = try env.bytes("CACHE_MEMORY_MAX_SIZE", default: cache.memoryMaxSize)
        cache.busChannel = env.string("REDIS_BUS_NAMESPACE", default: cache.busChannel)
        return cache
    }

    /// `RATE_LIMITER_*` (per client address) and `RATE_LIMITER_GLOBAL_*` (all callers), Directus's defaults.
    static func rateLimiter(_ env: EnvironmentSource, redis: RedisConfiguration?) throws -> RateLimiterConfiguration {
        var limiter = RateLimiterConfiguration()
        func limit(_ prefix: String, points: Int, duration: Double) throws -> RateLimiterConfiguration.Limit? {
            guard try env.bool(prefix + "ENABLED", default: false) else { return nil }
            return .init(points: try env.int(prefix + "POINTS", default: points, range: 1...Int(Int32.max)),
                         duration: try seconds(env, prefix + "DURATION", default: duration))
        }
        limiter.perAddress = try limit("RATE_LIMITER_", points: 50, duration: 1)
        limiter.global = try limit("RATE_LIMITER_GLOBAL_", points: 1000, duration: 1)
        limiter.store = try store(env, "RATE_LIMITER_STORE", redis: redis)
        return limiter
    }

    private static func store(_ env: EnvironmentSource, _ name: String, redis: RedisConfiguration?) throws -> CacheConfiguration.Store {
        guard let value = env[name] else { return .memory }
        guard let store = CacheConfiguration.Store(rawValue: value.lowercased()) else {
            throw ConfigurationError(name, "must be memory or redis (got \"\(value)\")")
        }
        if store == .redis, redis == nil { throw ConfigurationError(name, "is redis but REDIS is not set") }
        return store
    }

    /// Directus gives the limiters' durations in seconds; `1m`-style values are accepted too.
    private static func seconds(_ env: EnvironmentSource, _ name: String, default fallback: Double) throws -> Double {
        guard let value = env[name] else { return fallback }
        let seconds = Double(value) ?? ValueParsers.duration(value)
        guard let seconds, seconds > 0 else { throw ConfigurationError(name, "must be a number of seconds such as 1 or 60 (got \"\(value)\")") }
        return seconds
    }
}
