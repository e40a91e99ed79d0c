import Foundation

/// Where Redis is (`REDIS` URL, or `REDIS_HOST`/`REDIS_PORT`/`REDIS_PASSWORD`/`REDIS_DB`).
public struct RedisConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int
    /// Seconds for connecting and for each command.
    public var timeout: Double = 1
    /// Connections (and threads) of a client (`REDIS_POOL_SIZE`).
    public var poolSize = 4

    public init(host: String = "127.0.0.1", port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses `redis://[user:password@]host[:port][/db]`; nil when it is not such a URL.
    public init?(url: String) {
        guard let components = URLComponents(string: url), components.scheme == "redis", let host = components.host, !host.isEmpty
        else { return nil }
        let db = components.path.split(separator: "/").first.map(String.init)
        guard db == nil || Int(db!) != nil else { return nil }
        self.init(host: host, port: components.port ?? 6379,
                  username: components.user.flatMap { $0.isEmpty ? nil : $0 },
                  password: components.password.flatMap { $0.removingPercentEncoding },
                  database: db.flatMap { Int($0) } ?? 0)
    }
}
