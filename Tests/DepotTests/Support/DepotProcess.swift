import CMS
import Synchronization
import Testing
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `depot serve` process on 127.0.0.1 (port chosen by the OS), with its own working folder.
final class DepotProcess: @unchecked Sendable {
    let process = Process()
    let directory: String
    private(set) var port = 0
    let stderrPath: String

    /// The built `depot` binary, beside the test bundle.
    static var binary: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path,
            Repository.root + "/.build/debug",
        ]
        for dir in candidates where FileManager.default.isExecutableFile(atPath: dir + "/depot") { return dir + "/depot" }
        return Repository.root + "/.build/debug/depot"
    }

    /// Environment every test process gets: loopback, an ephemeral port, fast hashing, no login stall.
    static let baseEnvironment: [String: String] = [
        "HOST": "127.0.0.1", "PORT": "0", "HASH_MEMORY_COST": "1024", "HASH_TIME_COST": "1", "HASH_PARALLELISM": "1",
        "LOGIN_STALL_TIME": "50", "ADMIN_EMAIL": "admin@example.com", "ADMIN_PASSWORD": "admin-password",
        "SECRET": "test-secret", "KEY": "test-key",
        // Parallel tests share two cores: a slow-but-working check must not read as a degraded service.
        "DB_HEALTHCHECK_THRESHOLD": "10000", "CACHE_HEALTHCHECK_THRESHOLD": "10000", "STORAGE_LOCAL_HEALTHCHECK_THRESHOLD": "10000", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
    ]

    init(environment: [String: String], directory: String? = nil, arguments: [String] = ["serve"]) throws {
        self.directory = try directory ?? TempDirectory.make()
        stderrPath = self.directory + "/stderr.log"
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: self.directory)
        process.environment = Self.baseEnvironment.merging(environment) { $1 }.filter { !$0.value.isEmpty }
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardOutput = FileHandle.nullDevice
    }

    /// A test that returns early (a service it needs is missing, a `#require` failed) leaves no server behind.
    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Servers still running when the test process exits (a test's deferred stop had not run yet) are killed then.
    private static let running: Mutex<Set<Int32>> = {
        atexit {
            for pid in DepotProcess.running.withLock({ $0 }) { kill(pid, SIGKILL) }
        }
        return Mutex([])
    }()

    private func track() {
        let pid = process.processIdentifier
        Self.running.withLock { _ = $0.insert(pid) }
        process.terminationHandler = { _ in Self.running.withLock { _ = $0.remove(pid) } }
    }

    /// Starts the process and waits until it listens (its log names the port).
    static func start(_ environment: [String: String], directory: String? = nil) async throws -> DepotProcess {
        let depot = try DepotProcess(environment: environment, directory: directory)
        try depot.run()
        try await depot.waitUntilListening()
        return depot
    }

    /// Starts the process (tracked, so that it dies with the test process at the latest).
    func run() throws {
        try process.run()
        track()
    }

    private func waitUntilListening() async throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let line = stderr.split(separator: "\n").first(where: { $0.contains("depot") && $0.contains("listening on") }),
               let match = line.firstMatch(of: /127\.0\.0\.1:(\d+)/), let port = Int(match.1) {
                self.port = port
                return
            }
            if !process.isRunning { throw ProcessError.exited(process.terminationStatus, stderr) }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw ProcessError.timeout(stderr)
    }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Sends `signal` and waits for the exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) async -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        await Self.waitForExit(process, timeout: 30)
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            await Self.waitForExit(process)
        }
        return process.terminationStatus
    }

    /// Polls instead of `waitUntilExit`, which spins a cooperative thread on Linux.
    static func waitForExit(_ process: Process, timeout: Double = 60) async {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
    }

    enum ProcessError: Error, CustomStringConvertible {
        case exited(Int32, String)
        case timeout(String)
        var description: String {
            switch self {
            case .exited(let code, let log): "depot exited with \(code): \(log)"
            case .timeout(let log): "depot did not start listening: \(log)"
            }
        }
    }

    // MARK: HTTP

    struct Reply: Sendable {
        let status: Int
        let headers: [String: String]
        let body: Data
        var json: JSONValue { (try? JSONValue.parse(Array(body))) ?? .null }
        var text: String { String(decoding: body, as: UTF8.self) }
        var errorCode: String? {
            guard case .array(let errors)? = json["errors"], let first = errors.first else { return nil }
            return first["extensions"]?["code"]?.stringValue
        }
        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.timeoutIntervalForRequest = 30
        return URLSession(configuration: configuration)
    }()

    func request(_ method: String, _ path: String, json: JSONValue? = nil, body: Data? = nil,
                 headers: [String: String] = [:], token: String? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let json {
            request.httpBody = Data(json.serialized())
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let body {
            request.httpBody = body
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await Self.session.data(for: request)
        let http = response as! HTTPURLResponse
        var lowered: [String: String] = [:]
        for (k, v) in http.allHeaderFields { lowered[String(describing: k).lowercased()] = String(describing: v) }
        return Reply(status: http.statusCode, headers: lowered, body: data)
    }

    /// Sends a request that must succeed (200) for the test's set-up to make sense.
    func expectOK(_ method: String, _ path: String, _ body: JSONValue?, token: String) async throws {
        let reply = try await request(method, path, json: body, token: token)
        #expect(reply.status == 200, "\(method) \(path): \(reply.text)")
    }

    /// Logs in as the bootstrap admin and returns the access token.
    func adminToken(password: String = "admin-password") async throws -> String {
        let reply = try await request("POST", "/auth/login", json: .object([("email", "admin@example.com"), ("password", .string(password))]))
        guard let token = reply.json["data"]?["access_token"]?.stringValue else {
            throw ProcessError.exited(-1, "login failed: \(reply.status) \(reply.text)")
        }
        return token
    }
}
