import Cache
import Database
import Foundation
import Server
import Storage
import Testing

@Suite struct ConfigurationTests {
    @Test func durationsParseAsDirectusMsDoes() {
        #expect(ValueParsers.duration("15m") == 900)
        #expect(ValueParsers.duration("7d") == 604_800)
        #expect(ValueParsers.duration("2 hours") == 7200)
        #expect(ValueParsers.duration("1.5h") == 5400)
        #expect(ValueParsers.duration("500") == 0.5)   // bare numbers are milliseconds
        #expect(ValueParsers.duration("10s") == 10)
        #expect(ValueParsers.duration("soon") == nil)
        #expect(ValueParsers.duration("5 parsecs") == nil)
    }

    @Test func sizesParseAsDirectusBytesDoes() {
        #expect(ValueParsers.bytes("1mb") == 1_048_576)
        #expect(ValueParsers.bytes("500kb") == 512_000)
        #expect(ValueParsers.bytes("1.5GB") == 1_610_612_736)
        #expect(ValueParsers.bytes("1024") == 1024)
        #expect(ValueParsers.bytes("lots") == nil)
        #expect(ValueParsers.bytes("3 furlongs") == nil)
    }

    @Test func noVariablesIsTheEmbeddedDefault() throws {
        let c = try DepotConfiguration(environment: EnvironmentSource(values: [:]))
        #expect(c.port == 8055)
        #expect(c.host == "0.0.0.0")
        #expect(c.database == .sqlite(path: "./data/database.db", readers: 4))
        #expect(c.storage.locations == [.init(name: "local", driver: .local(root: "./data/uploads"))])
        #expect(c.cache.store == .memory)
        #expect(c.cache.redis == nil)
        #expect(c.auth.accessTokenTTL == 900)
        #expect(c.auth.refreshTokenTTL == 604_800)
        #expect(c.maxPayloadSize == 1_048_576)
    }

    @Test func directusVariablesAreRead() throws {
        let c = try DepotConfiguration(environment: EnvironmentSource(values: [
            "PORT": "9000", "DB_CLIENT": "postgres", "DB_HOST": "db", "DB_PORT": "5433", "DB_DATABASE": "directus",
            "DB_USER": "u", "DB_PASSWORD": "p'w", "DB_POOL_MAX": "7", "ACCESS_TOKEN_TTL": "5m", "REFRESH_TOKEN_TTL": "1d",
            "MAX_PAYLOAD_SIZE": "2mb", "REDIS": "redis://:secret@cache:6380/2", "LOG_LEVEL": "warn", "LOG_STYLE": "raw",
            "DB_SSL": "true",
        ]))
        #expect(c.port == 9000)
        #expect(c.auth.accessTokenTTL == 300)
        #expect(c.auth.refreshTokenTTL == 86400)
        #expect(c.maxPayloadSize == 2_097_152)
        #expect(c.logLevel == .warning)
        #expect(c.logStyle == .raw)
        guard case .postgres(let conninfo, let poolMax) = c.database else { Issue.record("not postgres"); return }
        #expect(poolMax == 7)
        #expect(conninfo.contains("host='db'") && conninfo.contains("port='5433'") && conninfo.contains("dbname='directus'"))
        #expect(conninfo.contains("password='p\\'w'"))
        #expect(conninfo.contains("sslmode='require'"))
        #expect(c.cache.redis == RedisConfiguration(host: "cache", port: 6380, password: "secret", database: 2))
    }

    @Test(arguments: [
        (["PORT": "eighty"], "PORT"),
        (["PORT": "70000"], "PORT"),
        (["DB_CLIENT": "mysql"], "DB_CLIENT"),
        (["DB_CLIENT": "pg"], "DB_DATABASE"),
        (["ACCESS_TOKEN_TTL": "forever"], "ACCESS_TOKEN_TTL"),
        (["MAX_PAYLOAD_SIZE": "big"], "MAX_PAYLOAD_SIZE"),
        (["LOG_LEVEL": "loud"], "LOG_LEVEL"),
        (["REDIS": "http://x"], "REDIS"),
        (["CACHE_STORE": "redis"], "CACHE_STORE"),
        (["CACHE_AUTO_PURGE_MODE": "everything"], "CACHE_AUTO_PURGE_MODE"),
        (["STORAGE_LOCATIONS": "s3", "STORAGE_S3_DRIVER": "ftp"], "STORAGE_S3_DRIVER"),
        (["CORS_ENABLED": "maybe"], "CORS_ENABLED"),
        (["ASSETS_AVIF_EFFORT": "10"], "ASSETS_AVIF_EFFORT"),
        (["ASSETS_WEBP_EFFORT": "7"], "ASSETS_WEBP_EFFORT"),
    ])
    func invalidValuesNameTheirVariable(values: [String: String], variable: String) {
        #expect {
            _ = try DepotConfiguration(environment: EnvironmentSource(values: values))
        } throws: { error in
            (error as? ConfigurationError)?.variable == variable
        }
    }

    @Test func dotEnvFileOverridesAndFileSuffixReadsSecrets() throws {
        let dir = try TempDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "s3cr3t\n".write(toFile: dir + "/secret.txt", atomically: true, encoding: .utf8)
        try """
        # comment
        export PORT=7000
        PUBLIC_URL="https://cms.example.com"
        SECRET_FILE=\(dir)/secret.txt
        KEY='my key' 
        """.write(toFile: dir + "/depot.env", atomically: true, encoding: .utf8)
        let env = try EnvironmentSource.load(process: ["CONFIG_PATH": dir + "/depot.env", "PORT": "1", "UNRELATED_FILE": "/nope"])
        let c = try DepotConfiguration(environment: env)
        #expect(c.port == 7000)
        #expect(c.publicURL == "https://cms.example.com")
        #expect(c.secret == "s3cr3t")
        #expect(c.key == "my key")
    }

    @Test func unreadableSecretFileIsAnError() {
        #expect(throws: ConfigurationError.self) {
            _ = try EnvironmentSource.load(process: ["SECRET_FILE": "/nonexistent/secret", "CONFIG_PATH": "/dev/null"])
        }
        #expect(throws: ConfigurationError.self) {
            _ = try EnvironmentSource.load(process: ["CONFIG_PATH": "/nonexistent/.env"])
        }
    }
}
