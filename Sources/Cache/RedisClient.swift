import CHiredis
import Foundation
import Logging
import NIOPosix

/// A reply from Redis.
public enum RedisReply: Sendable, Equatable {
    case status(String)
    case string([UInt8])
    case integer(Int64)
    case array([RedisReply])
    case null
    case error(String)
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

/// A Redis client through hiredis. Its blocking calls run on the client's own thread; a broken connection
/// is dropped and a new one made on the next command, so the client recovers when Redis comes back.
public final class RedisClient: Sendable {
    private let configuration: RedisConfiguration
    private let threads: NIOThreadPool
    private let slot = ConnectionSlot()

    public init(configuration: RedisConfiguration) {
        self.configuration = configuration
        threads = NIOThreadPool(numberOfThreads: 1)
        threads.start()
    }

    /// Runs one command given as its words, e.g. `["SET", "k", "v"]`.
    public func command(_ words: [String]) async throws -> RedisReply {
        let configuration = self.configuration, slot = self.slot
        return try await threads.runIfActive {
            let connection = try slot.connection(configuration)
            do {
                return try connection.run(words.map { Array($0.utf8) })
            } catch let error as RedisError {
                if case .unavailable = error { slot.drop() }
                throw error
            }
        }
    }

    /// PING round trip; throws when Redis does not answer PONG.
    public func ping() async throws {
        let reply = try await command(["PING"])
        guard reply == .status("PONG") else { throw RedisError.command("unexpected PING reply") }
    }

    public func shutdown() async {
        let slot = self.slot
        try? await threads.runIfActive { slot.drop() }
        try? await threads.shutdownGracefully()
    }
}

/// The client's single connection; only touched from the client's one thread.
private final class ConnectionSlot: @unchecked Sendable {
    private var current: RedisConnection?

    func connection(_ configuration: RedisConfiguration) throws -> RedisConnection {
        if let current { return current }
        let made = try RedisConnection(configuration)
        current = made
        return made
    }

    func drop() { current = nil }
}

/// One hiredis context.
final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>

    init(_ configuration: RedisConfiguration) throws {
        let whole = Int(configuration.timeout)
        let timeout = timeval(tv_sec: whole, tv_usec: Int(((configuration.timeout - Double(whole)) * 1e6).rounded()))
        guard let context = redisConnectWithTimeout(configuration.host, Int32(configuration.port), timeout) else {
            throw RedisError.unavailable("cannot allocate a connection")
        }
        if context.pointee.err != 0 {
            let message = Self.message(context)
            redisFree(context)
            throw RedisError.unavailable(message)
        }
        redisSetTimeout(context, timeout)
        self.context = context
        if let password = configuration.password {
            let auth = configuration.username.map { ["AUTH", $0, password] } ?? ["AUTH", password]
            if case .error(let m) = try run(auth.map { Array($0.utf8) }) { throw RedisError.unavailable("AUTH: \(m)") }
        }
        if configuration.database != 0, case .error(let m) = try run(["SELECT", String(configuration.database)].map { Array($0.utf8) }) {
            throw RedisError.unavailable("SELECT: \(m)")
        }
    }

    deinit { redisFree(context) }

    /// Sends one command with binary-safe arguments (`redisCommandArgv`: hiredis's non-variadic entry point).
    func run(_ arguments: [[UInt8]]) throws -> RedisReply {
        let pointers = arguments.map { bytes -> UnsafeMutablePointer<CChar> in
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, bytes.count))
            bytes.withUnsafeBytes { if let base = $0.baseAddress { memcpy(p, base, bytes.count) } }
            return p
        }
        defer { pointers.forEach { $0.deallocate() } }
        let lengths = arguments.map { $0.count }
        var raw = pointers.map { UnsafePointer<CChar>?($0) }
        guard let reply = redisCommandArgv(context, Int32(arguments.count), &raw, lengths) else {
            throw RedisError.unavailable(Self.message(context))
        }
        defer { freeReplyObject(reply) }
        return Self.convert(reply.assumingMemoryBound(to: redisReply.self))
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let r = reply.pointee
        func text() -> [UInt8] {
            guard let str = r.str else { return [] }
            return Array(UnsafeRawBufferPointer(start: str, count: Int(r.len)))
        }
        switch r.type {
        case REDIS_REPLY_STATUS: return .status(String(decoding: text(), as: UTF8.self))
        case REDIS_REPLY_ERROR: return .error(String(decoding: text(), as: UTF8.self))
        case REDIS_REPLY_STRING: return .string(text())
        case REDIS_REPLY_INTEGER: return .integer(r.integer)
        case REDIS_REPLY_ARRAY:
            return .array((0..<Int(r.elements)).map { convert(r.element[$0]!) })
        default: return .null
        }
    }

    private static func message(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
