import Foundation
import Synchronization

/// The cache shared by every instance on one Redis. An entry is one string: a first line with its read-at
/// sequence number and tags, then the value (compressed when large). Lookup and invalidation are each one Lua
/// script, so a lookup is one round trip and checks the entry's tags atomically. Invalidations that fail while
/// Redis is away are kept and applied before the cache is used again.
public final class RedisCacheStore: CacheStore {
    private let client: RedisClient
    private let prefix: String
    private let pending = Mutex<Set<String>>([])
    /// Values from this size up are stored deflated.
    static let compressFrom = 4096

    public init(client: RedisClient, namespace: String) {
        self.client = client
        prefix = namespace + ":"
    }

    /// KEYS[1] = entry; ARGV[1] = key prefix. Returns {1, entry} or {0, current sequence}.
    static let lookupScript = RedisScript("""
        local v = redis.call('GET', KEYS[1])
        local seq = redis.call('GET', ARGV[1] .. 'seq') or '0'
        if not v then return {0, seq} end
        local eol = string.find(v, '\\n', 1, true)
        if not eol then return {0, seq} end
        local readAt = nil
        for word in string.gmatch(string.sub(v, 1, eol - 1), '%S+') do
          if readAt == nil then readAt = tonumber(word)
          else
            local stamp = redis.call('GET', ARGV[1] .. 'tag:' .. word)
            if stamp and tonumber(stamp) > readAt then return {0, seq} end
          end
        end
        return {1, string.sub(v, eol + 1)}
        """)

    /// ARGV[1] = key prefix, ARGV[2…] = tags. Returns the new sequence number.
    static let invalidateScript = RedisScript("""
        local seq = redis.call('INCR', ARGV[1] .. 'seq')
        for i = 2, #ARGV do redis.call('SET', ARGV[1] .. 'tag:' .. ARGV[i], seq) end
        return seq
        """)

    public func lookup(_ key: String) async throws -> CacheLookup {
        try await flushPending()
        let reply = try await client.eval(Self.lookupScript, keys: [prefix + "r:" + key], arguments: [Array(prefix.utf8)])
        guard case .array(let parts) = reply, parts.count == 2 else { throw RedisError.command("unexpected cache lookup reply: \(reply)") }
        if parts[0] == .integer(1), let stored = parts[1].bytes { return .hit(try Compression.unpack(stored)) }
        return .miss(readAt: UInt64(parts[1].integer ?? 0))
    }

    public func store(_ key: String, _ value: [UInt8], tags: Set<String>, readAt: UInt64, ttl: Double) async throws {
        let header = ([String(readAt), CacheTag.all] + tags.sorted()).joined(separator: " ") + "\n"
        let body = Array(header.utf8) + Compression.pack(value, from: Self.compressFrom)
        let milliseconds = String(max(1, Int(ttl * 1000)))
        let reply = try await client.command(bytes: [Array("SET".utf8), Array((prefix + "r:" + key).utf8), body, Array("PX".utf8), Array(milliseconds.utf8)])
        if case .error(let message) = reply { throw RedisError.command(message) }
    }

    public func invalidate(_ tags: Set<String>) async throws {
        do {
            try await stamp(tags)
        } catch {
            pending.withLock { $0.formUnion(tags) }
            throw error
        }
    }

    private func stamp(_ tags: Set<String>) async throws {
        let reply = try await client.eval(Self.invalidateScript, keys: [], arguments: [Array(prefix.utf8)] + tags.sorted().map { Array($0.utf8) })
        if case .error(let message) = reply { throw RedisError.command(message) }
    }

    private func flushPending() async throws {
        let tags = pending.withLock { $0 }
        guard !tags.isEmpty else { return }
        try await stamp(tags)
        pending.withLock { $0.subtract(tags) }
    }
}
