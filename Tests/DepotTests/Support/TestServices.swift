import CMS
import Database
import Foundation
import Logging
import Testing

/// The services the test scripts start (scripts/services.sh). Locally a missing service skips its tests with a
/// message; with DEPOT_TEST_REQUIRE_SERVICES=1 (the test script, CI) a missing service fails them.
enum TestServices {
    static let environment = ProcessInfo.processInfo.environment
    static var required: Bool { environment["DEPOT_TEST_REQUIRE_SERVICES"] == "1" }
    static var postgres: String? { environment["DEPOT_TEST_PG"] }
    static var redis: String? { environment["DEPOT_TEST_REDIS"] }

    /// nil (and a note) when the service is not configured and not required; a failure when required.
    static func available(_ value: String?, name: String) -> String? {
        if let value { return value }
        if required { Issue.record("\(name) is required (DEPOT_TEST_REQUIRE_SERVICES=1) but not configured") }
        else { print("skipped: \(name) is not running (start it with scripts/services.sh start)") }
        return nil
    }

    static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }()

    /// A TCP port on 127.0.0.1 that the OS says is free now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw CocoaError(.fileReadUnknown) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Cheap argon2 parameters: the cost is not what these tests are about.
    static var fastHash: HashParameters {
        var p = HashParameters()
        p.memoryCost = 1024
        p.timeCost = 1
        p.parallelism = 1
        return p
    }
}

enum Dialect: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// A fresh, empty database of the given dialect: a temporary SQLite file, or a new PostgreSQL database.
struct TestDatabase: Sendable {
    let dialect: Dialect
    let configuration: DatabaseConfiguration
    /// Environment variables that point a depot process at this database.
    let environment: [String: String]
    private let cleanup: @Sendable () async -> Void

    static func make(_ dialect: Dialect) async throws -> TestDatabase? {
        switch dialect {
        case .sqlite:
            let dir = try TempDirectory.make()
            let path = dir + "/test.db"
            return TestDatabase(dialect: dialect, configuration: .sqlite(path: path, readers: 2),
                                environment: ["DB_CLIENT": "sqlite3", "DB_FILENAME": path]) {
                try? FileManager.default.removeItem(atPath: dir)
            }
        case .postgres:
            guard let admin = TestServices.available(TestServices.postgres, name: "PostgreSQL") else { return nil }
            let name = "depot_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
            let server = try await openDatabase(.postgres(connectionString: admin, poolMax: 1))
            try await server.read { try $0.execute("CREATE DATABASE \(name)") }
            await server.close()
            let connectionString = admin.replacingOccurrences(of: "dbname=postgres", with: "dbname=\(name)")
            return TestDatabase(dialect: dialect, configuration: .postgres(connectionString: connectionString, poolMax: 4),
                                environment: ["DB_CLIENT": "pg", "DB_CONNECTION_STRING": connectionString]) {
                guard let server = try? await openDatabase(.postgres(connectionString: admin, poolMax: 1)) else { return }
                _ = try? await server.read { try $0.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
                await server.close()
            }
        }
    }

    private init(dialect: Dialect, configuration: DatabaseConfiguration, environment: [String: String],
                 cleanup: @escaping @Sendable () async -> Void) {
        self.dialect = dialect
        self.configuration = configuration
        self.environment = environment
        self.cleanup = cleanup
    }

    func open() async throws -> any Database { try await openDatabase(configuration) }

    /// Runs `body` with an open pool on a fresh database, then closes and drops it; skips when the dialect's
    /// server is not available (and not required).
    static func with(_ dialect: Dialect, _ body: (TestDatabase, any Database) async throws -> Void) async throws {
        guard let test = try await make(dialect) else { return }
        let db = try await test.open()
        do {
            try await body(test, db)
        } catch {
            await db.close()
            await test.drop()
            throw error
        }
        await db.close()
        await test.drop()
    }

    func drop() async { await cleanup() }
}

enum TempDirectory {
    static func make() throws -> String {
        let path = NSTemporaryDirectory() + "depot-test-" + UUID().uuidString.lowercased()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// The repository's root folder (for fixtures).
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static func fixture(_ name: String) -> String { root + "/Fixtures/" + name }
}
