import Foundation
import Synchronization

/// The cache of one process, bounded in bytes: when full, the least recently used entries go first.
public final class MemoryCacheStore: CacheStore {
    private let state: Mutex<LRUEntries>

    public init(maxBytes: Int) {
        state = Mutex(LRUEntries(maxBytes: maxBytes))
    }

    public func lookup(_ key: String) async throws -> CacheLookup {
        let now = Date().timeIntervalSince1970
        return state.withLock { state in
            if let entry = state.get(key) {
                if entry.expires > now, entry.tags.allSatisfy({ (state.stamps[$0] ?? 0) <= entry.readAt }) { return .hit(entry.value) }
                state.remove(key)
            }
            return .miss(readAt: state.sequence)
        }
    }

    public func store(_ key: String, _ value: [UInt8], tags: Set<String>, readAt: UInt64, ttl: Double) async throws {
        let entry = LRUEntries.Entry(value: value, tags: tags.union([CacheTag.all]), readAt: readAt,
                                     expires: Date().timeIntervalSince1970 + ttl)
        state.withLock { $0.set(key, entry) }
    }

    public func invalidate(_ tags: Set<String>) async throws {
        state.withLock { state in
            state.sequence += 1
            for tag in tags { state.stamps[tag] = state.sequence }
            if tags.contains(CacheTag.all) { state.removeAll() }
        }
    }

    /// Bytes held, for tests and health.
    public var bytes: Int { state.withLock { $0.bytes } }
}

/// Entries in recency order (a doubly linked list over a dictionary), with the stamps of `CacheStore`.
struct LRUEntries {
    struct Entry {
        var value: [UInt8]
        var tags: Set<String>
        var readAt: UInt64
        var expires: Double
        var cost: Int { value.count + tags.reduce(64) { $0 + $1.utf8.count } }
    }
    private final class Node {
        let key: String
        var entry: Entry
        var newer: Node?
        weak var older: Node?
        init(key: String, entry: Entry) {
            self.key = key
            self.entry = entry
        }
    }

    let maxBytes: Int
    private(set) var bytes = 0
    var sequence: UInt64 = 0
    var stamps: [String: UInt64] = [:]
    private var nodes: [String: Node] = [:]
    /// Least recently used (next to drop) … most recently used.
    private var oldest: Node?
    private var newest: Node?

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    mutating func get(_ key: String) -> Entry? {
        guard let node = nodes[key] else { return nil }
        unlink(node)
        append(node)
        return node.entry
    }

    mutating func set(_ key: String, _ entry: Entry) {
        remove(key)
        // An entry over an eighth of the store would push out too much for one response.
        guard entry.cost <= maxBytes / 8 else { return }
        let node = Node(key: key, entry: entry)
        nodes[key] = node
        append(node)
        bytes += entry.cost
        while bytes > maxBytes, let victim = oldest { remove(victim.key) }
    }

    mutating func remove(_ key: String) {
        guard let node = nodes.removeValue(forKey: key) else { return }
        unlink(node)
        bytes -= node.entry.cost
    }

    mutating func removeAll() {
        nodes.removeAll()
        oldest = nil
        newest = nil
        bytes = 0
    }

    private mutating func append(_ node: Node) {
        node.older = newest
        node.newer = nil
        newest?.newer = node
        newest = node
        if oldest == nil { oldest = node }
    }

    private mutating func unlink(_ node: Node) {
        let older = node.older, newer = node.newer
        older?.newer = newer
        newer?.older = older
        if oldest === node { oldest = newer }
        if newest === node { newest = older }
        node.older = nil
        node.newer = nil
    }
}
