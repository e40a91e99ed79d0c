import CMS
import Foundation
import Testing

/// Redis going away under the cache: requests keep succeeding (bypassed), health says `warn`, the cache
/// resumes by itself, and a write made while Redis could not be told is not served stale afterwards.
@Suite struct CacheOutageTests {
    @Test func redisKilledAndRestartedFailsNoRequest() async throws {
        guard let redis = try PrivateRedis.start(),
              let (depot, test, token) = try await ItemsRelationsTests.catalog(.sqlite, [
                  "REDIS": redis.url, "CACHE_ENABLED": "true", "CACHE_STORE": "redis",
                  "RATE_LIMITER_ENABLED": "true", "RATE_LIMITER_STORE": "redis", "RATE_LIMITER_POINTS": "100000",
              ]) else { return }
        defer { redis.terminate(); Task { await depot.stop(); await test.drop() } }
        try await depot.expectOK("POST", "/items/articles", .object([("title", "Before"), ("rank", .int(1))]), token: token)
        let path = "/items/articles?fields=id,title"
        func get() async throws -> DepotProcess.Reply { try await depot.request("GET", path, token: token) }
        func waitForHit() async throws -> Bool {
            for _ in 0..<100 {
                _ = try await get()
                if try await get().header("X-Cache") == "HIT" { return true }
                try await Task.sleep(for: .milliseconds(100))
            }
            return false
        }
        #expect(try await waitForHit(), "redis-server may still be starting")

        await redis.kill()
        var failures = 0
        for n in 0..<20 {
            if n == 10 { try await depot.expectOK("PATCH", "/items/articles/1", .object([("title", "During")]), token: token) }
            let reply = try await get()
            if reply.status != 200 { failures += 1 }
            if n > 10 { #expect(reply.text.contains("During")) }
        }
        #expect(failures == 0)
        let health = try await depot.request("GET", "/server/health", token: token)
        #expect(health.status == 200 && health.json["status"] == "warn", "\(health.text)")

        try redis.run()
        #expect(try await waitForHit(), "the cache resumes by itself")
        #expect(try await get().text.contains("During"))

        // Frozen: the write's invalidation can't reach Redis; it is kept and applied before the next lookup.
        #expect(try await get().header("X-Cache") == "HIT")
        redis.freeze()
        try await depot.expectOK("PATCH", "/items/articles/1", .object([("title", "Frozen")]), token: token)
        redis.resume()
        for _ in 0..<30 {
            let reply = try await get()
            #expect(reply.status == 200 && reply.text.contains("Frozen"), "\(reply.text)")
            if reply.header("X-Cache") == "HIT" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await get().header("X-Cache") == "HIT")
    }
}
