import CMS
import Foundation
import Storage
import Testing

/// Two depot processes on one PostgreSQL, one Redis and one S3 bucket, as a deployment behind a load balancer.
@Suite struct ClusterTests {
    /// Two depot processes sharing one fresh PostgreSQL database, one Redis (cache, bus) and one fresh S3 bucket;
    /// nil when a service is missing. `stop` ends both and removes what they shared.
    struct Pair {
        let a: DepotProcess
        let b: DepotProcess
        let stop: @Sendable () async -> Void
    }

    static func pair(_ extra: [String: String] = [:]) async throws -> Pair? {
        guard let redis = TestServices.available(TestServices.redis, name: "Redis"),
              let s3 = TestStorage.s3Configuration(),
              let database = try await TestDatabase.make(.postgres) else { return nil }
        let session = CurlSession(threads: 2)
        try await S3Driver(s3, session: session).createBucketIfMissing()
        let namespace = "test-\(UUID().uuidString)"
        let environment = database.environment.merging([
            "REDIS": redis, "CACHE_ENABLED": "true", "CACHE_STORE": "redis", "CACHE_NAMESPACE": namespace,
            "REDIS_BUS_NAMESPACE": namespace + ":bus",
            "STORAGE_LOCATIONS": "s3", "STORAGE_S3_DRIVER": "s3", "STORAGE_S3_KEY": s3.key, "STORAGE_S3_SECRET": s3.secret,
            "STORAGE_S3_BUCKET": s3.bucket, "STORAGE_S3_ENDPOINT": s3.endpoint!, "STORAGE_S3_FORCE_PATH_STYLE": "true",
            "STORAGE_S3_HEALTHCHECK_THRESHOLD": "10000",
        ]) { $1 }.merging(extra) { $1 }
        let a = try await DepotProcess.start(environment)
        let b = try await DepotProcess.start(environment)
        return Pair(a: a, b: b) { await a.stop(); await b.stop(); await database.drop(); await session.shutdown() }
    }

    @Test func twoInstancesShareCacheSchemaPermissionsLimitsAndFiles() async throws {
        guard let pair = try await Self.pair([
            "RATE_LIMITER_ENABLED": "true", "RATE_LIMITER_STORE": "redis", "RATE_LIMITER_POINTS": "6", "RATE_LIMITER_DURATION": "60",
            "LOG_LEVEL": "debug", "LOG_STYLE": "raw", "AUTH_LOGIN_IP_ATTEMPTS": "3", "LOGIN_STALL_TIME": "10ms",
        ]) else { return }
        let a = pair.a, b = pair.b
        defer { Task { await pair.stop() } }

        // Each call from an address of its own (loopback is a trusted proxy), so only the limit test shares one.
        let counter = Counter()
        func call(_ depot: DepotProcess, _ method: String, _ path: String, json: JSONValue? = nil, body: Data? = nil,
                  headers: [String: String] = [:], token: String? = nil, from address: String? = nil) async throws -> DepotProcess.Reply {
            let address = address ?? "198.51.100.\(counter.next() % 250)"
            return try await depot.request(method, path, json: json, body: body, headers: headers.merging(["X-Forwarded-For": address]) { $1 }, token: token)
        }
        let login = try await call(a, "POST", "/auth/login", json: .object([("email", "admin@example.com"), ("password", "admin-password")]))
        let token = try #require(login.json["data"]?["access_token"]?.stringValue)

        // Schema: B has its snapshot; a collection created through A is served by B within a second.
        #expect(try await call(b, "GET", "/items/articles", token: token).status == 403)
        let created = try await call(a, "POST", "/collections", json: .object([("collection", "articles"), ("fields", .array([
            .object([("field", "title"), ("type", "string")]), .object([("field", "rank"), ("type", "integer")]),
        ]))]), token: token)
        #expect(created.status == 200, "\(created.text)")
        // Visible on B: then the delay, from the servers' own log clocks (a test process busy with the rest of the
        // suite can't time this well): A's answer to the schema change → B's receipt of the bus message.
        var visible = false
        for _ in 0..<200 where !visible {
            visible = try await call(b, "GET", "/items/articles", token: token).status == 200
            if !visible { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(visible, "the collection created on A is served by B")
        let answered = Self.logTime(a.stderr, containing: "POST /collections 200")
        let received = Self.logTime(b.stderr, containing: "cluster bus message", and: "\"kind\":\"schema\"")
        #expect(answered != nil && received != nil && received! - answered! < 1, "A answered at \(answered ?? -1), B heard at \(received ?? -1)")

        // The shared cache: a write through A is never served stale by B.
        #expect(try await call(a, "POST", "/items/articles", json: .object([("title", "v0"), ("rank", .int(1))]), token: token).status == 200)
        let path = "/items/articles/1?fields=title"
        for version in 1...10 {
            _ = try await call(b, "GET", path, token: token)
            let cached = try await call(b, "GET", path, token: token)
            #expect(cached.header("X-Cache") == "HIT", "round \(version)")
            #expect(try await call(a, "PATCH", "/items/articles/1", json: .object([("title", .string("v\(version)"))]), token: token).status == 200)
            let read = try await call(b, "GET", path, token: token)
            #expect(read.json["data"]?["title"]?.stringValue == "v\(version)", "B after A's write \(version): \(read.text)")
        }

        // Permissions: a rule granted through A applies on B.
        #expect(try await call(b, "GET", "/items/articles").status == 403)
        let policy = try await call(a, "GET", "/policies?filter%5Bicon%5D%5B_eq%5D=public&fields=id", token: token).json["data"]?.arrayItems?.first?["id"]?.stringValue ?? ""
        #expect(try await call(a, "POST", "/permissions", json: .object([("policy", .string(policy)), ("collection", "articles"), ("action", "read"),
                                                                          ("fields", .array(["*"]))]), token: token).status == 200)
        var granted = false
        for _ in 0..<50 where !granted {
            granted = try await call(b, "GET", "/items/articles").status == 200
            if !granted { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(granted, "public read granted on A reaches B within a second")

        // The rate limit is shared: 6 requests per address per minute over both instances.
        var statuses: [Int] = []
        for n in 0..<8 { statuses.append(try await call(n % 2 == 0 ? a : b, "GET", "/server/ping", from: "203.0.113.50").status) }
        #expect(statuses == [200, 200, 200, 200, 200, 200, 429, 429], "\(statuses)")

        // A file uploaded through A is served by B.
        let bytes = Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let (body, headers) = FilesHTTPTests.multipart([("title", "shared")], files: [("blob.bin", "application/octet-stream", bytes)])
        let upload = try await call(a, "POST", "/files", body: body, headers: headers, token: token)
        let id = try #require(upload.json["data"]?["id"]?.stringValue, "\(upload.text)")
        let asset = try await call(b, "GET", "/assets/\(id)", token: token)
        #expect(asset.status == 200 && asset.body == bytes)

        // Failed logins count once for both instances: per address (3 here), then even the right password waits…
        func signIn(_ depot: DepotProcess, _ email: String, _ password: String, from address: String? = nil) async throws -> DepotProcess.Reply {
            try await call(depot, "POST", "/auth/login", json: .object([("email", .string(email)), ("password", .string(password))]), from: address)
        }
        for n in 0..<3 { #expect(try await signIn(n % 2 == 0 ? a : b, "nobody@example.com", "wrong", from: "203.0.113.60").status == 401) }
        let blocked = try await signIn(b, "admin@example.com", "admin-password", from: "203.0.113.60")
        #expect(blocked.status == 429 && blocked.errorCode == "REQUESTS_EXCEEDED" && blocked.text.contains("failed logins"), "\(blocked.text)")
        // …and per account: past auth_login_attempts (2) over A and B together, the account is suspended.
        let user = try await call(a, "POST", "/users", json: .object([("email", "dora@example.com"), ("password", "dora-password"), ("status", "active")]), token: token)
        #expect(user.status == 200, "\(user.text)")
        #expect(try await call(a, "PATCH", "/settings", json: .object([("auth_login_attempts", .int(2))]), token: token).status == 200)
        #expect(try await signIn(a, "dora@example.com", "wrong").status == 401)
        #expect(try await signIn(b, "dora@example.com", "wrong").status == 401)
        let third = try await signIn(a, "dora@example.com", "dora-password")
        #expect(third.errorCode == "USER_SUSPENDED", "the third attempt over both instances suspends: \(third.status) \(third.text)")
    }

    /// Seconds since midnight of the last raw log line containing the given texts.
    static func logTime(_ log: String, containing text: String, and other: String = "") -> Double? {
        guard let line = log.split(separator: "\n").last(where: { $0.contains(text) && (other.isEmpty || $0.contains(other)) }),
              let match = line.firstMatch(of: /"time":"[0-9-]+T(\d\d):(\d\d):(\d\d(?:\.\d+)?)/),
              let h = Double(match.1), let m = Double(match.2), let sec = Double(match.3) else { return nil }
        return h * 3600 + m * 60 + sec
    }

    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func next() -> Int { lock.withLock { value += 1; return value } }
    }
}
