import Cache
import Foundation
import Testing

/// One conformance suite for both stores: hits and misses, precise invalidation by tag, a write racing a read,
/// expiry, emptying everything.
@Suite struct CacheStoreTests {
    enum Kind: String, CaseIterable, Sendable { case memory, redis }

    static func store(_ kind: Kind) -> (any CacheStore, RedisClient?)? {
        switch kind {
        case .memory: return (MemoryCacheStore(maxBytes: 1 << 20), nil)
        case .redis:
            guard let url = TestServices.available(TestServices.redis, name: "Redis"), let configuration = RedisConfiguration(url: url) else { return nil }
            let client = RedisClient(configuration: configuration)
            // A namespace of its own: tests run in parallel on one Redis.
            return (RedisCacheStore(client: client, namespace: "test-\(UUID().uuidString)"), client)
        }
    }

    static func value(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test(arguments: Kind.allCases)
    func hitsAfterStoreAndInvalidatesOnlyTheWrittenTags(kind: Kind) async throws {
        guard let (store, client) = Self.store(kind) else { return }
        guard case .miss(let readAt) = try await store.lookup("articles-list") else { Issue.record("empty store hit"); return }
        try await store.store("articles-list", Self.value("[articles]"), tags: ["articles", "authors"], readAt: readAt, ttl: 60)
        try await store.store("tags-list", Self.value("[tags]"), tags: ["tags"], readAt: readAt, ttl: 60)
        #expect(try await store.lookup("articles-list") == .hit(Self.value("[articles]")))
        #expect(try await store.lookup("tags-list") == .hit(Self.value("[tags]")))

        try await store.invalidate(["tags"])
        #expect(try await store.lookup("articles-list") == .hit(Self.value("[articles]")), "a write to tags keeps the articles entry")
        if case .hit = try await store.lookup("tags-list") { Issue.record("tags entry survived its invalidation") }

        // A related collection invalidates the entry that read it.
        try await store.invalidate(["authors"])
        if case .hit = try await store.lookup("articles-list") { Issue.record("articles entry survived a write to authors it read") }
        await client?.shutdown()
    }

    @Test(arguments: Kind.allCases)
    func aWriteDuringTheReadLeavesNoStaleEntry(kind: Kind) async throws {
        guard let (store, client) = Self.store(kind) else { return }
        guard case .miss(let readAt) = try await store.lookup("k") else { Issue.record("hit"); return }
        // The read started (readAt taken), a write to its collection committed, then the read's answer is stored.
        try await store.invalidate(["articles"])
        try await store.store("k", Self.value("old"), tags: ["articles"], readAt: readAt, ttl: 60)
        if case .hit = try await store.lookup("k") { Issue.record("an answer read before the write was served after it") }
        // Read again after the write: that answer is good.
        guard case .miss(let again) = try await store.lookup("k") else { return }
        try await store.store("k", Self.value("new"), tags: ["articles"], readAt: again, ttl: 60)
        #expect(try await store.lookup("k") == .hit(Self.value("new")))
        await client?.shutdown()
    }

    @Test(arguments: Kind.allCases)
    func entriesExpireAndAllCanBeEmptied(kind: Kind) async throws {
        guard let (store, client) = Self.store(kind) else { return }
        guard case .miss(let readAt) = try await store.lookup("short") else { return }
        // Only expiry is asserted of the short entry: a busy test process may look later than planned, never sooner.
        try await store.store("short", Self.value("s"), tags: [], readAt: readAt, ttl: 0.5)
        try await store.store("long", Self.value("l"), tags: ["x"], readAt: readAt, ttl: 600)
        try await Task.sleep(for: .milliseconds(1000))
        if case .hit = try await store.lookup("short") { Issue.record("entry outlived its TTL") }
        #expect(try await store.lookup("long") == .hit(Self.value("l")))
        try await store.invalidate([CacheTag.all])
        if case .hit = try await store.lookup("long") { Issue.record("entry survived emptying the store") }
        await client?.shutdown()
    }

    @Test(arguments: Kind.allCases)
    func largeAndBinaryValuesRoundTrip(kind: Kind) async throws {
        guard let (store, client) = Self.store(kind) else { return }
        // 90 KB: within an eighth of the memory store's megabyte.
        let large = Array(String(repeating: "{\"title\":\"Article\",\"rank\":42},", count: 3000).utf8) + [0, 10, 10, 255]
        guard case .miss(let readAt) = try await store.lookup("large") else { return }
        try await store.store("large", large, tags: ["articles"], readAt: readAt, ttl: 60)
        #expect(try await store.lookup("large") == .hit(large))
        await client?.shutdown()
    }

    @Test func redisValuesAreCompressedWhenLarge() async throws {
        guard let url = TestServices.available(TestServices.redis, name: "Redis"), let configuration = RedisConfiguration(url: url) else { return }
        let client = RedisClient(configuration: configuration)
        let namespace = "test-\(UUID().uuidString)"
        let store = RedisCacheStore(client: client, namespace: namespace)
        let large = Array(String(repeating: "{\"title\":\"Article\",\"rank\":42},", count: 5000).utf8)
        try await store.store("large", large, tags: [], readAt: 0, ttl: 60)
        let stored = try await client.command(["STRLEN", namespace + ":r:large"]).integer ?? 0
        #expect(stored > 0 && stored < Int64(large.count / 10), "\(large.count) bytes stored as \(stored)")
        await client.shutdown()
    }

    @Test func memoryStoreStaysWithinItsBytesDroppingTheLeastRecentlyUsed() async throws {
        let store = MemoryCacheStore(maxBytes: 64 * 1024)
        let value = [UInt8](repeating: 7, count: 4000)
        for i in 0..<12 { try await store.store("k\(i)", value, tags: [], readAt: 0, ttl: 60) }
        _ = try await store.lookup("k0")   // k0 is now the most recently used
        for i in 12..<20 { try await store.store("k\(i)", value, tags: [], readAt: 0, ttl: 60) }
        #expect(store.bytes <= 64 * 1024)
        #expect(try await store.lookup("k0") == .hit(value), "recently used entry kept")
        if case .hit = try await store.lookup("k1") { Issue.record("least recently used entry kept over the bound") }
        #expect(try await store.lookup("k19") == .hit(value))
    }

    @Test(arguments: [RateLimitKind.memory, .redis])
    func rateLimitCountsInFixedWindows(kind: RateLimitKind) async throws {
        let store: any RateLimitStore
        var client: RedisClient?
        switch kind {
        case .memory: store = MemoryRateLimitStore()
        case .redis:
            guard let url = TestServices.available(TestServices.redis, name: "Redis"), let configuration = RedisConfiguration(url: url) else { return }
            client = RedisClient(configuration: configuration)
            store = RedisRateLimitStore(client: client!, namespace: "test-\(UUID().uuidString)")
        }
        // A long window for counting (a busy test process can't outlive it), a short one for the reset.
        for n in 1...3 { #expect(try await store.consume("ip:a", points: 3, duration: 600).allowed, "request \(n)") }
        let over = try await store.consume("ip:a", points: 3, duration: 600)
        #expect(!over.allowed && over.consumed == 4 && (1...600).contains(over.retryAfter), "\(over)")
        #expect(try await store.consume("ip:b", points: 3, duration: 600).allowed, "another key has its own count")
        for _ in 1...4 { _ = try await store.consume("ip:c", points: 3, duration: 0.5) }
        try await Task.sleep(for: .milliseconds(1000))
        #expect(try await store.consume("ip:c", points: 3, duration: 0.5).allowed, "a new window")

        // Peeking doesn't count; a reset forgets; a window of 0 lasts until the reset (failed logins per account).
        #expect(try await store.peek("ip:a")?.consumed == 4)
        #expect(try await store.peek("ip:a")?.consumed == 4)
        #expect(try await store.peek("ip:none") == nil)
        try await store.reset("ip:a")
        #expect(try await store.peek("ip:a") == nil)
        #expect(try await store.consume("ip:a", points: 3, duration: 600).consumed == 1)
        for _ in 1...2 { _ = try await store.consume("login:x", points: .max, duration: 0) }
        try await Task.sleep(for: .milliseconds(600))
        let kept = try #require(try await store.peek("login:x"))
        #expect(kept.consumed == 2 && kept.retryAfter == 0, "\(kept)")
        try await store.reset("login:x")
        #expect(try await store.consume("login:x", points: .max, duration: 0).consumed == 1)
        await client?.shutdown()
    }

    enum RateLimitKind: String, Sendable { case memory, redis }
}
