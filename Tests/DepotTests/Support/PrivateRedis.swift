import Foundation

/// A redis-server of a test's own on a spare port, so the test can kill, restart or freeze it without
/// disturbing the shared one. No persistence: a restart starts empty, like a crashed cache.
final class PrivateRedis: @unchecked Sendable {
    let port: Int
    private var process: Process?
    private let binary: String

    var url: String { "redis://127.0.0.1:\(port)" }

    static func start() throws -> PrivateRedis? {
        let binary = FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server") ? "/usr/bin/redis-server" : nil
        guard let binary = TestServices.available(binary, name: "redis-server") else { return nil }
        let redis = PrivateRedis(port: try TestServices.freePort(), binary: binary)
        try redis.run()
        return redis
    }

    private init(port: Int, binary: String) {
        self.port = port
        self.binary = binary
    }

    func run() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no"]
        // Neither stream is inherited: a redis-server outliving the test must not hold `swift test`'s pipes open.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    /// A crash: SIGKILL (a child of the test process inherits its blocked SIGTERM).
    func kill() async {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        await DepotProcess.waitForExit(process)
    }

    /// Stops answering without closing connections (commands time out), until `resume`.
    func freeze() { if let process { Foundation.kill(process.processIdentifier, SIGSTOP) } }
    func resume() { if let process { Foundation.kill(process.processIdentifier, SIGCONT) } }

    /// For `defer`: kills without waiting (SIGKILL also ends a frozen server).
    func terminate() { if let process, process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) } }

    deinit { terminate() }
}
