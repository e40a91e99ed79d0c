import Assets
import Cache
import CMS
import Database
import Foundation
import Logging
import NIOCore
import Storage

/// Everything Depot reads from the environment, validated at start-up. Variable names are Directus's.
public struct DepotConfiguration: Sendable {
    public var host = "0.0.0.0"
    public var port = 8055
    public var publicURL = "/"
    /// Where the embedded default keeps its database, uploads and generated secrets.
    public var dataPath = "./data"
    public var key: String?
    public var secret: String?
    public var database: DatabaseConfiguration = .sqlite(path: "./data/database.db", readers: 4)
    public var admin = BootstrapService.AdminCredentials()
    public var logLevel: Logger.Level = .info
    /// `LOG_LEVEL=silent`
    public var logSilent = false
    public var logStyle: LogStyle = .pretty
    public var maxPayloadSize = 1_048_576
    /// `QUERY_LIMIT_DEFAULT`, `QUERY_LIMIT_MAX` (-1 = no maximum) and the size bounds of a query's parameters.
    public var queryLimits = QueryParser.Limits()
    public var auth = AuthConfiguration(secret: "")
    public var hash = HashParameters()
    public var cookies = CookieConfiguration()
    public var cors = CORSConfiguration()
    public var compression = CompressionConfiguration()
    public var storage = StorageConfiguration(locations: [.init(name: "local", driver: .local(root: "./data/uploads"))])
    public var cache = CacheConfiguration()
    public var rateLimiter = RateLimiterConfiguration()
    /// `IP_TRUST_PROXY` / `IP_CUSTOM_HEADER`: where the client's address comes from.
    public var proxy = ProxyTrust()
    public var assets = AssetsConfiguration()
    public var health = HealthThresholds()
    public var files = FilesConfiguration()
    /// `EXPORT_BATCH_SIZE`: items an export reads per query; `MAX_IMPORT_ERRORS`: row errors an import collects
    /// before it stops. Directus's defaults.
    public var exportBatchSize = 5000
    public var maxImportErrors = 1000
    /// `ASSETS_CACHE_TTL`: `max-age` of served assets, in seconds (default 30 days).
    public var assetsCacheTTL: Double = 30 * 24 * 3600
    /// Seconds a graceful shutdown waits for in-flight requests.
    public var shutdownTimeout: Double = 10
    /// `SERVER_KEEP_ALIVE_TIMEOUT`, `SERVER_HEADERS_TIMEOUT`, `SERVER_REQUEST_TIMEOUT`, `SERVER_MAX_CONNECTIONS_PER_IP`.
    public var connections = ConnectionLimits()

    public enum LogStyle: String, Sendable { case pretty, raw }

    public init() {}

    /// Reads and validates every variable; the first problem throws a `ConfigurationError`.
    public init(environment env: EnvironmentSource) throws {
        host = env.string("HOST", default: host)
        port = try env.int("PORT", default: port, range: 0...65535)
        publicURL = env.string("PUBLIC_URL", default: publicURL)
        key = env["KEY"]
        secret = env["SECRET"]
        if let level = env["LOG_LEVEL"] {
            switch level.lowercased() {
            case "fatal": logLevel = .critical
            case "error": logLevel = .error
            case "warn": logLevel = .warning
            case "info": logLevel = .info
            case "debug": logLevel = .debug
            case "trace": logLevel = .trace
            case "silent": logSilent = true
            default: throw ConfigurationError("LOG_LEVEL", "must be one of fatal, error, warn, info, debug, trace, silent (got \"\(level)\")")
            }
        }
        if let style = env["LOG_STYLE"] {
            guard let parsed = LogStyle(rawValue: style.lowercased()) else {
                throw ConfigurationError("LOG_STYLE", "must be pretty or raw (got \"\(style)\")")
            }
            logStyle = parsed
        }
        maxPayloadSize = try env.bytes("MAX_PAYLOAD_SIZE", default: maxPayloadSize)
        queryLimits.defaultLimit = try env.int("QUERY_LIMIT_DEFAULT", default: queryLimits.defaultLimit, range: 1...Int.max)
        let max = try env.int("QUERY_LIMIT_MAX", default: -1, range: -1...Int.max)
        queryLimits.maxLimit = max < 0 ? nil : max
        // The compiler's own backstop is 10 relations: a larger value would only move the refusal.
        queryLimits.maxRelationalDepth = try env.int("MAX_RELATIONAL_DEPTH", default: queryLimits.maxRelationalDepth, range: 2...10)
        queryLimits.maxParseDepth = try env.int("QUERYSTRING_MAX_PARSE_DEPTH", default: queryLimits.maxParseDepth, range: 1...64)
        queryLimits.arrayLimit = try env.int("QUERYSTRING_ARRAY_LIMIT", default: queryLimits.arrayLimit, range: 1...100_000)
        queryLimits.maxJSONDepth = try env.int("MAX_JSON_QUERY_DEPTH", default: queryLimits.maxJSONDepth, range: 1...64)
        queryLimits.maxFilterSiblings = try env.int("QUERY_FILTER_MAX_SIBLINGS", default: queryLimits.maxFilterSiblings, range: 1...100_000)
        queryLimits.maxPatternLength = try env.int("QUERY_MAX_PATTERN_LENGTH", default: queryLimits.maxPatternLength, range: 1...40_000)
        database = try Self.database(env, dataPath: dataPath)
        admin = .init(email: env["ADMIN_EMAIL"], password: env["ADMIN_PASSWORD"], token: env["ADMIN_TOKEN"])
        if let email = admin.email, !email.contains("@") {
            throw ConfigurationError("ADMIN_EMAIL", "must be an e-mail address (got \"\(email)\")")
        }
        auth.accessTokenTTL = try env.duration("ACCESS_TOKEN_TTL", default: auth.accessTokenTTL)
        auth.refreshTokenTTL = try env.duration("REFRESH_TOKEN_TTL", default: auth.refreshTokenTTL)
        auth.sessionCookieTTL = try env.duration("SESSION_COOKIE_TTL", default: auth.sessionCookieTTL)
        auth.loginStallTime = try env.duration("LOGIN_STALL_TIME", default: auth.loginStallTime)
        auth.loginFailuresPerAddress = try env.int("AUTH_LOGIN_IP_ATTEMPTS", default: auth.loginFailuresPerAddress, range: 0...1_000_000)
        auth.loginFailureWindow = try env.duration("AUTH_LOGIN_IP_DURATION", default: auth.loginFailureWindow)
        guard auth.accessTokenTTL >= 1 else { throw ConfigurationError("ACCESS_TOKEN_TTL", "must be at least 1s") }
        hash.memoryCost = UInt32(try env.int("HASH_MEMORY_COST", default: Int(hash.memoryCost), range: 8...4_194_304))
        hash.timeCost = UInt32(try env.int("HASH_TIME_COST", default: Int(hash.timeCost), range: 1...100))
        hash.parallelism = UInt32(try env.int("HASH_PARALLELISM", default: Int(hash.parallelism), range: 1...64))
        hash.hashLength = UInt32(try env.int("HASH_LENGTH", default: Int(hash.hashLength), range: 4...1024))
        cookies = try CookieConfiguration(env)
        cors = try CORSConfiguration(env)
        compression.enabled = try env.bool("COMPRESSION_ENABLED", default: compression.enabled)
        compression.threshold = try env.bytes("COMPRESSION_THRESHOLD", default: compression.threshold)
        storage = try Self.storage(env, dataPath: dataPath)
        cache = try Self.cache(env)
        rateLimiter = try Self.rateLimiter(env, redis: cache.redis)
        proxy = try ProxyTrust(env)
        shutdownTimeout = try env.duration("SERVER_SHUTDOWN_TIMEOUT", default: shutdownTimeout)
        func timeout(_ name: String, _ current: TimeAmount) throws -> TimeAmount {
            let seconds = try env.duration(name, default: Double(current.nanoseconds) / 1e9)
            guard seconds > 0, seconds <= 86_400 else { throw ConfigurationError(name, "must be more than 0 and at most 1 day") }
            return .milliseconds(Int64(seconds * 1000))
        }
        connections.keepAlive = try timeout("SERVER_KEEP_ALIVE_TIMEOUT", connections.keepAlive)
        connections.headers = try timeout("SERVER_HEADERS_TIMEOUT", connections.headers)
        connections.bodyStall = try timeout("SERVER_REQUEST_TIMEOUT", connections.bodyStall)
        connections.perAddress = try env.int("SERVER_MAX_CONNECTIONS_PER_IP", default: 0, range: 0...1_000_000)
        health = try HealthThresholds(env, locations: storage.locations.map(\.name))
        files = try Self.files(env)
        exportBatchSize = try env.int("EXPORT_BATCH_SIZE", default: exportBatchSize, range: 1...1_000_000)
        maxImportErrors = try env.int("MAX_IMPORT_ERRORS", default: maxImportErrors, range: 1...1_000_000)
        assetsCacheTTL = try env.duration("ASSETS_CACHE_TTL", default: assetsCacheTTL)
        assets = try Self.assets(env)
    }

    static func assets(_ env: EnvironmentSource) throws -> AssetsConfiguration {
        var assets = AssetsConfiguration()
        assets.maxDimension = try env.int("ASSETS_TRANSFORM_IMAGE_MAX_DIMENSION", default: assets.maxDimension, range: 1...100_000)
        assets.maxInputPixels = try env.int("ASSETS_TRANSFORM_MAX_INPUT_PIXELS", default: assets.maxInputPixels, range: 1...10_000_000_000)
        assets.maxMemory = try env.bytes("ASSETS_TRANSFORM_MAX_MEMORY", default: assets.maxMemory)
        assets.maxOperations = try env.int("ASSETS_TRANSFORM_MAX_OPERATIONS", default: assets.maxOperations, range: 0...1000)
        assets.maxConcurrent = try env.int("ASSETS_TRANSFORM_MAX_CONCURRENT", default: assets.maxConcurrent, range: 1...1024)
        assets.maxQueue = try env.int("ASSETS_TRANSFORM_MAX_QUEUE", default: assets.maxQueue, range: 0...100_000)
        assets.avifEffort = try env.int("ASSETS_AVIF_EFFORT", default: assets.avifEffort, range: 0...9)
        assets.webpEffort = try env.int("ASSETS_WEBP_EFFORT", default: assets.webpEffort, range: 0...6)
        assets.sourceCacheMaxMemory = try env.bytes("ASSETS_SOURCE_CACHE_MAX_MEMORY", default: assets.sourceCacheMaxMemory)
        assets.sourceCacheTTL = max(1, try env.duration("ASSETS_SOURCE_CACHE_TTL", default: assets.sourceCacheTTL))
        // Directus clamps the timeout to 1 s … 1 h.
        assets.timeout = min(3600, max(1, try env.duration("ASSETS_TRANSFORM_TIMEOUT", default: assets.timeout)))
        return assets
    }

    static func files(_ env: EnvironmentSource) throws -> FilesConfiguration {
        var files = FilesConfiguration()
        if env["FILES_MAX_UPLOAD_SIZE"] != nil {
            files.maxUploadSize = Int64(try env.bytes("FILES_MAX_UPLOAD_SIZE", default: 0))
        }
        if let list = env.list("FILES_MIME_TYPE_ALLOW_LIST"), !list.isEmpty { files.mimeTypeAllowList = list.map { $0.lowercased() } }
        if let list = env.list("IMPORT_IP_DENY_LIST") { files.importDenyList = list }
        if let list = env.list("FILE_METADATA_ALLOW_LIST") { files.metadataAllowList = MetadataAllowList(list) }
        files.importMaxRedirects = try env.int("IMPORT_MAX_REDIRECTS", default: files.importMaxRedirects, range: 0...20)
        files.importTimeoutMilliseconds = Int(try env.duration("IMPORT_TIMEOUT", default: 30) * 1000)
        return files
    }

    static func database(_ env: EnvironmentSource, dataPath: String) throws -> DatabaseConfiguration {
        let client = env["DB_CLIENT"]?.lowercased() ?? (env["DB_HOST"] != nil || env["DB_CONNECTION_STRING"] != nil ? "pg" : "sqlite3")
        switch client {
        case "sqlite3", "sqlite":
            let path = env.string("DB_FILENAME", default: dataPath + "/database.db")
            return .sqlite(path: path, readers: try env.int("DB_POOL_MAX", default: 4, range: 1...64))
        case "pg", "postgres", "postgresql":
            let poolMax = try env.int("DB_POOL__MAX", default: try env.int("DB_POOL_MAX", default: 10, range: 1...1000), range: 1...1000)
            if let connectionString = env["DB_CONNECTION_STRING"] {
                return .postgres(connectionString: connectionString, poolMax: poolMax)
            }
            guard let database = env["DB_DATABASE"] else {
                throw ConfigurationError("DB_DATABASE", "is required when DB_CLIENT is pg (or set DB_CONNECTION_STRING)")
            }
            var parts: [(String, String)] = [("host", env.string("DB_HOST", default: "localhost")),
                                             ("port", String(try env.int("DB_PORT", default: 5432, range: 1...65535))),
                                             ("dbname", database), ("connect_timeout", "5"), ("application_name", "depot")]
            if let user = env["DB_USER"] { parts.append(("user", user)) }
            if let password = env["DB_PASSWORD"] { parts.append(("password", password)) }
            parts += try sslOptions(env)
            let connectionString = parts.map { "\($0.0)='\($0.1.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'"))'" }
                .joined(separator: " ")
            return .postgres(connectionString: connectionString, poolMax: poolMax)
        default:
            throw ConfigurationError("DB_CLIENT", "unsupported client \"\(client)\" (use sqlite3 or pg)")
        }
    }

    /// `DB_SSL=true` requires TLS; `DB_SSL__REJECT_UNAUTHORIZED=true` also verifies the server certificate;
    /// `DB_SSL__CA_FILE`, `DB_SSL__CERT_FILE`, `DB_SSL__KEY_FILE` name PEM files.
    static func sslOptions(_ env: EnvironmentSource) throws -> [(String, String)] {
        var options: [(String, String)] = []
        let ssl = try env.bool("DB_SSL", default: false)
        let verify = try env.bool("DB_SSL__REJECT_UNAUTHORIZED", default: false)
        if ssl || verify { options.append(("sslmode", verify ? "verify-full" : "require")) }
        if let ca = env["DB_SSL__CA_FILE"] { options.append(("sslrootcert", ca)) }
        if let cert = env["DB_SSL__CERT_FILE"] { options.append(("sslcert", cert)) }
        if let key = env["DB_SSL__KEY_FILE"] { options.append(("sslkey", key)) }
        return options
    }

    static func storage(_ env: EnvironmentSource, dataPath: String) throws -> StorageConfiguration {
        let names = env.list("STORAGE_LOCATIONS") ?? ["local"]
        guard !names.isEmpty else { throw ConfigurationError("STORAGE_LOCATIONS", "names no location") }
        var locations: [StorageLocationConfiguration] = []
        for name in names {
            let prefix = "STORAGE_\(name.uppercased())_"
            let driver = env.string(prefix + "DRIVER", default: "local")
            switch driver {
            case "local":
                let root = env[prefix + "ROOT"] ?? (name == "local" ? dataPath + "/uploads" : nil)
                guard let root else { throw ConfigurationError(prefix + "ROOT", "is required for a local location") }
                locations.append(.init(name: name, driver: .local(root: root)))
            case "s3":
                locations.append(.init(name: name, driver: .s3(try s3(env, prefix: prefix))))
            default:
                throw ConfigurationError(prefix + "DRIVER", "unsupported driver \"\(driver)\" (use local or s3)")
            }
        }
        return StorageConfiguration(locations: locations)
    }

    static func s3(_ env: EnvironmentSource, prefix: String) throws -> S3Configuration {
        func required(_ option: String) throws -> String {
            guard let value = env[prefix + option], !value.isEmpty else { throw ConfigurationError(prefix + option, "is required for an s3 location") }
            return value
        }
        var s3 = S3Configuration(key: try required("KEY"), secret: try required("SECRET"), bucket: try required("BUCKET"))
        s3.region = env.string(prefix + "REGION", default: s3.region)
        s3.endpoint = env[prefix + "ENDPOINT"].map { $0.contains("://") ? $0 : "https://" + $0 }
        s3.forcePathStyle = try env.bool(prefix + "FORCE_PATH_STYLE", default: false)
        s3.root = env.string(prefix + "ROOT", default: "")
        s3.acl = env[prefix + "ACL"]
        s3.serverSideEncryption = env[prefix + "SERVER_SIDE_ENCRYPTION"]
        s3.connectTimeoutMilliseconds = Int(try env.duration(prefix + "CONNECTION_TIMEOUT", default: 5) * 1000)
        s3.socketTimeoutMilliseconds = Int(try env.duration(prefix + "SOCKET_TIMEOUT", default: 60) * 1000)
        s3.partSize = try env.bytes(prefix + "PART_SIZE", default: s3.partSize)
        guard s3.partSize >= S3Configuration.minimumPartSize else {
            throw ConfigurationError(prefix + "PART_SIZE", "must be at least 5MB (S3's smallest part)")
        }
        s3.maxAttempts = try env.int(prefix + "MAX_ATTEMPTS", default: s3.maxAttempts, range: 1...10)
        return s3
    }
}

/// Refresh and session cookies (`REFRESH_TOKEN_COOKIE_*`, `SESSION_COOKIE_*`).
public struct CookieConfiguration: Sendable {
    public var refreshName = "directus_refresh_token"
    public var sessionName = "directus_session_token"
    public var secure = false
    public var sameSite = "Lax"
    public var domain: String?

    public init() {}

    init(_ env: EnvironmentSource) throws {
        refreshName = env.string("REFRESH_TOKEN_COOKIE_NAME", default: refreshName)
        sessionName = env.string("SESSION_COOKIE_NAME", default: sessionName)
        secure = try env.bool("REFRESH_TOKEN_COOKIE_SECURE", default: secure)
        domain = env["REFRESH_TOKEN_COOKIE_DOMAIN"]
        let same = env.string("REFRESH_TOKEN_COOKIE_SAME_SITE", default: "lax").lowercased()
        guard ["lax", "strict", "none"].contains(same) else {
            throw ConfigurationError("REFRESH_TOKEN_COOKIE_SAME_SITE", "must be lax, strict or none (got \"\(same)\")")
        }
        sameSite = same.prefix(1).uppercased() + same.dropFirst()
    }
}

/// `CORS_*`: off unless `CORS_ENABLED=true`.
public struct CORSConfiguration: Sendable {
    public enum Origin: Sendable, Equatable { case none, any, reflect, list([String]) }
    public var enabled = false
    public var origin: Origin = .none
    public var methods = "GET,POST,PATCH,DELETE"
    public var allowedHeaders = "Content-Type,Authorization"
    public var exposedHeaders = "Content-Range"
    public var credentials = true
    public var maxAge = 18000

    public init() {}

    init(_ env: EnvironmentSource) throws {
        enabled = try env.bool("CORS_ENABLED", default: false)
        switch env["CORS_ORIGIN"] {
        case nil, "false": origin = .none
        case "true": origin = .reflect
        case "*": origin = .any
        case let value?: origin = .list(env.list("CORS_ORIGIN") ?? [value])
        }
        methods = env.string("CORS_METHODS", default: methods)
        allowedHeaders = env.string("CORS_ALLOWED_HEADERS", default: allowedHeaders)
        exposedHeaders = env.string("CORS_EXPOSED_HEADERS", default: exposedHeaders)
        credentials = try env.bool("CORS_CREDENTIALS", default: credentials)
        maxAge = try env.int("CORS_MAX_AGE", default: maxAge, range: 0...Int(Int32.max))
    }

    /// A configuration that can't do what it says, for a warning at start-up.
    public var warning: String? {
        guard enabled, origin == .any, credentials else { return nil }
        return "CORS_ORIGIN=* with CORS_CREDENTIALS=true: credentials are not allowed for any origin; name the origins (or CORS_ORIGIN=true to reflect them) to allow credentials"
    }
}

/// Milliseconds past which a `/server/health` check reports `warn` (Directus's `*_HEALTHCHECK_THRESHOLD`).
public struct HealthThresholds: Sendable {
    public var database = 150.0
    public var cache = 150.0
    public var storageDefault = 750.0
    public var storageByLocation: [String: Double] = [:]

    public init() {}

    init(_ env: EnvironmentSource, locations: [String]) throws {
        database = Double(try env.int("DB_HEALTHCHECK_THRESHOLD", default: Int(database), range: 0...3_600_000))
        cache = Double(try env.int("CACHE_HEALTHCHECK_THRESHOLD", default: Int(cache), range: 0...3_600_000))
        for name in locations {
            let variable = "STORAGE_\(name.uppercased())_HEALTHCHECK_THRESHOLD"
            storageByLocation[name] = Double(try env.int(variable, default: Int(storageDefault), range: 0...3_600_000))
        }
    }

    func storage(_ location: String) -> Double { storageByLocation[location] ?? storageDefault }
}
