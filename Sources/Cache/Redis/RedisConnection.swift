import CHiredis
import Foundation

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

    /// The next reply pushed by Redis (a pub/sub message), waiting at most `milliseconds`; nil when none came.
    func nextPush(waiting milliseconds: Int32) throws -> RedisReply? {
        if let reply = try buffered() { return reply }
        var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, milliseconds)
        if ready < 0, errno != EINTR { throw RedisError.unavailable("poll failed") }
        guard ready > 0 else { return nil }
        guard redisBufferRead(context) == REDIS_OK else { throw RedisError.unavailable(Self.message(context)) }
        return try buffered()
    }

    private func buffered() throws -> RedisReply? {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReplyFromReader(context, &raw) == REDIS_OK else { throw RedisError.unavailable(Self.message(context)) }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return Self.convert(raw.assumingMemoryBound(to: redisReply.self))
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
