import Synchronization

/// Rows kept in memory in front of the database, bounded in bytes: the oldest entries leave first when the
/// budget is spent. Invalidation is the owner's: `removeAll` or `removeAll(where:)` on the writes that change
/// what the rows say. A read that started before an invalidation never stores what it read (`generation`).
public final class RowCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var entries: [Key: (value: Value, cost: Int)] = [:]
        var order: [Key] = []
        var head = 0
        var bytes = 0
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    private let maxBytes: Int

    public init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    public subscript(key: Key) -> Value? { state.withLock { $0.entries[key]?.value } }

    /// Taken before a read whose result may be stored; `store` refuses it once anything was invalidated since.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Keeps `value` when no invalidation happened since `generation` was read; `cost` is its size in bytes.
    public func store(_ key: Key, _ value: Value, cost: Int, readAt generation: UInt64) {
        guard cost <= maxBytes else { return }
        state.withLock { state in
            guard state.generation == generation else { return }
            if let old = state.entries.updateValue((value, cost), forKey: key) {
                state.bytes -= old.cost
            } else {
                state.order.append(key)
            }
            state.bytes += cost
            while state.bytes > maxBytes, state.head < state.order.count {
                let oldest = state.order[state.head]
                state.head += 1
                if let gone = state.entries.removeValue(forKey: oldest) { state.bytes -= gone.cost }
            }
            // Compact the insertion order once its consumed part dominates.
            if state.head > 1024, state.head * 2 > state.order.count {
                state.order = state.order[state.head...].filter { state.entries[$0] != nil }
                state.head = 0
            }
        }
    }

    public func removeAll() {
        state.withLock { state in
            state.entries.removeAll()
            state.order.removeAll()
            state.head = 0
            state.bytes = 0
            state.generation &+= 1
        }
    }

    public func removeAll(where shouldRemove: (Key, Value) -> Bool) {
        state.withLock { state in
            for (key, entry) in state.entries where shouldRemove(key, entry.value) {
                state.entries[key] = nil
                state.bytes -= entry.cost
            }
            state.generation &+= 1
        }
    }
}
