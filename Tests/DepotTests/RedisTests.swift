import Cache
import CMS
import Foundation
import Testing

@Suite struct RedisTests {
    @Test func commandsRoundTripBinarySafe() async throws {
        guard let url = TestServices.available(TestServices.redis, name: "Redis") else { return }
        let client = RedisClient(configuration: try #require(RedisConfiguration(url: url)))
        try await client.ping()
        let key = "depot-test-\(UUID().uuidString)"
        let value = "bin\u{0}ary ✓"
        #expect(try await client.command(["SET", key, value, "EX", "30"]) == .status("OK"))
        #expect(try await client.command(["GET", key]) == .string(Array(value.utf8)))
        #expect(try await client.command(["DEL", key]) == .integer(1))
        #expect(try await client.command(["GET", key]) == .null)
        if case .error = try await client.command(["NOSUCHCOMMAND"]) {} else { Issue.record("expected a Redis error reply") }
        await client.shutdown()
    }

    @Test func unreachableRedisIsAnErrorNotAHang() async throws {
        var configuration = RedisConfiguration(host: "127.0.0.1", port: 1)
        configuration.timeout = 1
        let client = RedisClient(configuration: configuration)
        await #expect(throws: RedisError.self) { try await client.ping() }
        await client.shutdown()
    }

    @Test func healthReportsRedisAsWarnWhenItIsDown() async throws {
        let binary = FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server") ? "/usr/bin/redis-server" : nil
        guard let binary = TestServices.available(binary, name: "redis-server") else { return }
        // A Redis of our own on a spare port, so stopping it does not disturb other tests.
        let port = try TestServices.freePort()
        let redis = Process()
        redis.executableURL = URL(fileURLWithPath: binary)
        redis.arguments = ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no"]
        redis.standardOutput = FileHandle.nullDevice
        try redis.run()
        // SIGKILL: a crash is the outage under test, and a child of the test process inherits its blocked SIGTERM.
        defer { if redis.isRunning { kill(redis.processIdentifier, SIGKILL) } }
        let depot = try await DepotProcess.start(["REDIS": "redis://127.0.0.1:\(port)"])
        let token = try await depot.adminToken()
        // The cache entry itself: under load another check may cross its threshold and warn on its own.
        func cacheStatus() async throws -> JSONValue? {
            guard case .array(let entries)? = try await depot.request("GET", "/server/health", token: token).json["checks"]?["cache:responseTime"]
            else { return nil }
            return entries.first?["status"]
        }
        var up = try await cacheStatus()
        for _ in 0..<100 where up != "ok" {
            try await Task.sleep(for: .milliseconds(100))   // redis-server may still be starting
            up = try await cacheStatus()
        }
        #expect(up == "ok")
        kill(redis.processIdentifier, SIGKILL)
        await DepotProcess.waitForExit(redis)
        let down = try await depot.request("GET", "/server/health", token: token)
        #expect(down.status == 200)
        #expect(down.json["status"] == "warn")
        #expect(try await cacheStatus() == "warn")
        // Requests that do not need Redis keep working.
        #expect(try await depot.request("GET", "/users/me", token: token).status == 200)
        await depot.stop()
    }
}
