import Assets
import Cache
import CMS
import Database
import Foundation
import Storage
import Synchronization

/// `/server/health` in the IETF api-health-check shape Directus uses: one entry per dependency with its
/// response time; `warn` past a threshold, `error` on failure. The response cache is optional: Redis down is `warn`.
struct HealthCheck: Sendable {
    let database: any Database
    let databaseClient: String
    let storage: StorageLocations
    let cache: ResponseCache?
    let redis: RedisClient?
    let transformer: AssetTransformer
    let lifecycle: Lifecycle
    let thresholds: HealthThresholds

    struct Report {
        var status: String
        var checks: [(String, JSONValue)]
    }

    func run() async -> Report {
        var checks: [(String, JSONValue)] = []
        var statuses: [String] = []
        func record(_ name: String, _ component: String, _ threshold: Double, failure: String, _ probe: () async throws -> Void) async {
            let started = ContinuousClock.now
            var entry: [(String, JSONValue)] = [("componentType", .string(component))]
            let status: String
            do {
                try await probe()
                let ms = Self.milliseconds(since: started)
                status = ms > threshold ? "warn" : "ok"
                entry += [("observedValue", .double((ms * 1000).rounded() / 1000)), ("observedUnit", .string("ms")), ("threshold", .double(threshold))]
            } catch {
                status = failure
                entry += [("output", .string(Self.describe(error)))]
            }
            statuses.append(status)
            checks.append((name, .array([.object([("status", .string(status))] + entry)])))
        }

        await record("\(databaseClient):responseTime", "datastore", thresholds.database, failure: "error") {
            _ = try await database.query("SELECT 1")
        }
        let pool = await database.poolStatus()
        checks.append(("\(databaseClient):connectionsAvailable", .array([.object([("status", "ok"), ("componentType", "datastore"), ("observedValue", .int(Int64(pool.max - pool.open + pool.idle)))])])))
        checks.append(("\(databaseClient):connectionsUsed", .array([.object([("status", "ok"), ("componentType", "datastore"), ("observedValue", .int(Int64(pool.open - pool.idle)))])])))
        // The cache (and the bus and limiter on Redis) are optional: Redis down means they are bypassed, a
        // warning and not an error.
        if cache != nil || redis != nil {
            await record("cache:responseTime", "cache", thresholds.cache, failure: "warn") {
                if let redis { try await redis.ping() } else { _ = try await cache?.store.lookup("health-check") }
            }
        }
        for name in storage.names {
            await record("storage:\(name):responseTime", "objectstore", thresholds.storage(name), failure: "error") {
                try await storage.driver(name).probe()
            }
        }
        // A saturated transform queue refuses new transforms (503) but serves everything else: a warning.
        let transforms = transformer.load
        let saturated = transforms.current >= transforms.capacity
        if saturated { statuses.append("warn") }
        checks.append(("assets:transforms", .array([.object([
            ("status", .string(saturated ? "warn" : "ok")), ("componentType", "component"),
            ("observedValue", .int(Int64(transforms.current))), ("observedUnit", "transforms"),
            ("threshold", .int(Int64(transforms.capacity))),
        ])])))
        var status = statuses.contains("error") ? "error" : (statuses.contains("warn") ? "warn" : "ok")
        if lifecycle.isShuttingDown { status = "error" }
        return Report(status: status, checks: checks)
    }

    private static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    /// A short reason without internals such as paths or SQL.
    private static func describe(_ error: any Error) -> String {
        switch error {
        case is DatabaseError: "database unavailable"
        case is StorageError: "storage unavailable"
        case is RedisError: "redis unavailable"
        default: "check failed"
        }
    }
}

/// Process-wide state that `/server/health` reports: set when a graceful shutdown begins.
final class Lifecycle: Sendable {
    private let shuttingDown = Atomic<Bool>(false)
    var isShuttingDown: Bool { shuttingDown.load(ordering: .acquiring) }
    func beginShutdown() { shuttingDown.store(true, ordering: .releasing) }
}
