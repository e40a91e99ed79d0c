import CHiredis
import Crypto
import Foundation
import Logging
import NIOPosix
import Synchronization

/// A reply from Redis.
public enum RedisReply: Sendable, Equatable {
    case status(String)
    case string([UInt8])
    case integer(Int64)
    case array([RedisReply])
    case null
    case error(String)

    public var bytes: [UInt8]? {
        if case .string(let b) = self { return b }
        return nil
    }

    public var integer: Int64? {
        switch self {
        case .integer(let i): i
        case .string(let b): Int64(String(decoding: b, as: UTF8.self))
        default: nil
        }
    }
}

public enum RedisError: Error, Sendable, CustomStringConvertible {
    case unavailable(String)
    case command(String)

    public var description: String {
        switch self {
        case .unavailable(let m): "redis unavailable: \(m)"
        case .command(let m): "redis error: \(m)"
        }
    }
}

/// A Redis client through hiredis: a small pool of connections, each used by one of the client's own threads
/// (hiredis blocks), so no call ever runs on an event loop. After a failure the client stops trying for a
/// growing pause (a circuit breaker: callers get `unavailable` at once instead of waiting on timeouts), logs
/// the outage once, and picks up again by itself when Redis answers.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    private let threads: NIOThreadPool
    private let idle = IdleConnections()
    private let breaker: Breaker
    private let logger: Logger

    public init(configuration: RedisConfiguration, logger: Logger = Logger(label: "depot.redis")) {
        self.configuration = configuration
        self.logger = logger
        breaker = Breaker(logger: logger, address: "\(configuration.host):\(configuration.port)")
        threads = NIOThreadPool(numberOfThreads: max(1, configuration.poolSize))
        threads.start()
    }

    /// True while the client is pausing after a failure.
    public var isDown: Bool { breaker.isOpen }

    /// Runs one command given as its words, e.g. `["SET", "k", "v"]`.
    public func command(_ words: [String]) async throws -> RedisReply {
        try await command(bytes: words.map { Array($0.utf8) })
    }

    /// Runs one command with binary arguments. An error reply is returned, not thrown.
    public func command(bytes arguments: [[UInt8]]) async throws -> RedisReply {
        try breaker.admit()
        let configuration = self.configuration, idle = self.idle
        do {
            let reply = try await threads.runIfActive { () throws -> RedisReply in
                let connection = try idle.take() ?? RedisConnection(configuration)
                let reply = try connection.run(arguments)
                idle.put(connection)
                return reply
            }
            breaker.succeeded()
            return reply
        } catch let error as RedisError {
            // The failed connection is dropped (not put back); the others may be as broken, so drop them too.
            if case .unavailable = error {
                idle.removeAll()
                breaker.failed(error)
            }
            throw error
        }
    }

    /// Runs a Lua script by its SHA1, loading it when Redis does not know it (first use, or after a restart).
    public func eval(_ script: RedisScript, keys: [String], arguments: [[UInt8]]) async throws -> RedisReply {
        let tail = [Array(String(keys.count).utf8)] + keys.map { Array($0.utf8) } + arguments
        let reply = try await command(bytes: [Array("EVALSHA".utf8), Array(script.sha1.utf8)] + tail)
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            return try await command(bytes: [Array("EVAL".utf8), Array(script.source.utf8)] + tail)
        }
        return reply
    }

    /// PING round trip; throws when Redis does not answer PONG.
    public func ping() async throws {
        let reply = try await command(["PING"])
        guard reply == .status("PONG") else { throw RedisError.command("unexpected PING reply") }
    }

    public func shutdown() async {
        idle.removeAll()
        try? await threads.shutdownGracefully()
    }
}

/// A Lua script with its SHA1 (what EVALSHA names it by).
public struct RedisScript: Sendable {
    public let source: String
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// The client's outage state: closed (normal), or open until `retryAt` after a failure, the pause doubling
/// up to `maximumPause` while Redis stays away.
private final class Breaker: Sendable {
    private struct State {
        var open = false
        var retryAt = ContinuousClock.now
        var pause: Duration = .zero
    }
    private let state = Mutex(State())
    private let logger: Logger
    private let address: String
    static let firstPause: Duration = .milliseconds(100)
    static let maximumPause: Duration = .seconds(2)

    init(logger: Logger, address: String) {
        self.logger = logger
        self.address = address
    }

    var isOpen: Bool { state.withLock { $0.open } }

    func admit() throws {
        let refused = state.withLock { state in state.open && ContinuousClock.now < state.retryAt }
        if refused { throw RedisError.unavailable("paused after a failure") }
    }

    func succeeded() {
        let recovered = state.withLock { state in
            defer { state = State() }
            return state.open
        }
        if recovered { logger.notice("redis is available again", metadata: ["redis": "\(address)"]) }
    }

    func failed(_ error: RedisError) {
        let first = state.withLock { state in
            let first = !state.open
            state.open = true
            state.pause = first ? Self.firstPause : min(state.pause * 2, Self.maximumPause)
            state.retryAt = ContinuousClock.now + state.pause
            return first
        }
        // Once per outage, not once per request.
        if first { logger.warning("redis unavailable; the cache is bypassed until it returns", metadata: ["redis": "\(address)", "error": "\(error)"]) }
    }
}

/// Connections not in use. hiredis contexts are not thread-safe: each is used by one thread at a time,
/// handed over through this lock.
private final class IdleConnections: @unchecked Sendable {
    private let lock = NSLock()
    private var connections: [RedisConnection] = []

    func take() -> RedisConnection? { lock.withLock { connections.popLast() } }
    func put(_ connection: RedisConnection) { lock.withLock { connections.append(connection) } }
    func removeAll() { lock.withLock { connections.removeAll() } }
}
