import Synchronization

/// Sources decoded recently (`DecodedSource`), bounded in bytes, and the transforms waiting for each source: a
/// decode is made at the level the largest waiting transform needs, so the widths of a `srcset` asked for together
/// share one decode, and widths asked for later reuse it while it is kept.
///
/// A source is known by its stored object's ETag as well as its file and key: a replaced original never matches
/// what was decoded from the old one, whichever instance replaced it. Entries leave when the budget is spent
/// (least recently used first), `lifetime` after their last use, or when their file's derivatives are removed.
final class DecodedSources: Sendable {
    struct Key: Hashable, Sendable {
        let fileID: String
        let storage: String
        let key: String
        let etag: String
    }

    private struct Entry {
        let source: DecodedSource
        var lastUse: Int64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var bytes = 0
        var demands: [Key: [Int: ResolvedTransform]] = [:]
        var nextDemand = 0
        /// When each source was last transformed (VipsClock µs).
        var transformed: [Key: Int64] = [:]
        var sweeping = false
    }

    private let state = Mutex(State())
    let maxBytes: Int
    /// Microseconds (VipsClock) an entry is kept after its last use.
    let lifetime: Int64

    init(maxBytes: Int, lifetime: Double) {
        self.maxBytes = maxBytes
        self.lifetime = Int64(lifetime * 1_000_000)
    }

    /// Transforms waiting for a decode now.
    var waiting: Int { state.withLock { $0.demands.values.reduce(0) { $0 + $1.count } } }

    /// Bytes held now.
    var bytes: Int { state.withLock { $0.bytes } }

    /// The decoded level kept for `key`, if any.
    func lookup(_ key: Key) -> DecodedSource? {
        let now = VipsClock.now
        return state.withLock { state in
            guard var entry = state.entries[key] else { return nil }
            guard now - entry.lastUse <= lifetime else {
                Self.drop(key, from: &state)
                return nil
            }
            entry.lastUse = now
            state.entries[key] = entry
            return entry.source
        }
    }

    /// Keeps `source` unless a larger level of the same source is kept already; the least recently used entries
    /// leave until the budget holds.
    func store(_ key: Key, _ source: DecodedSource) {
        guard source.bytes <= maxBytes else { return }
        let now = VipsClock.now
        let sweep = state.withLock { state -> Bool in
            if let kept = state.entries[key], kept.source.bytes >= source.bytes { return false }
            Self.drop(key, from: &state)
            state.entries[key] = Entry(source: source, lastUse: now)
            state.bytes += source.bytes
            while state.bytes > maxBytes, let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
                Self.drop(oldest, from: &state)
            }
            return Self.armSweep(&state)
        }
        if sweep { scheduleSweep() }
    }

    /// Notes that `key` is being transformed; answers whether it was transformed within `lifetime` before. A lone
    /// transform of a source not seen lately streams it rather than keeping a level: decoding to memory cost a
    /// single 1.7 MP → 512 px transform about a tenth of its throughput (bench, same run). The next one keeps it.
    func noteTransform(_ key: Key) -> Bool {
        let now = VipsClock.now
        let (seen, sweep) = state.withLock { state -> (Bool, Bool) in
            let seen = state.transformed[key].map { now - $0 <= lifetime } ?? false
            // Bounded: past this many sources within a lifetime, forgetting them costs only a decode each.
            if state.transformed.count >= 10_000 { state.transformed.removeAll() }
            state.transformed[key] = now
            return (seen, Self.armSweep(&state))
        }
        if sweep { scheduleSweep() }
        return seen
    }

    /// Registers a transform waiting for `key`'s decode; `withdraw` it once answered.
    func demand(_ key: Key, _ transform: ResolvedTransform) -> Int {
        state.withLock { state in
            state.nextDemand += 1
            state.demands[key, default: [:]][state.nextDemand] = transform
            return state.nextDemand
        }
    }

    func withdraw(_ key: Key, _ id: Int) {
        state.withLock { state in
            state.demands[key]?[id] = nil
            if state.demands[key]?.isEmpty == true { state.demands[key] = nil }
        }
    }

    /// The transforms waiting for `key` now.
    func demands(_ key: Key) -> [ResolvedTransform] {
        state.withLock { Array(($0.demands[key] ?? [:]).values) }
    }

    /// Forgets a file's decoded sources (its original was replaced or deleted).
    func remove(fileID: String) {
        state.withLock { state in
            for key in state.entries.keys where key.fileID == fileID { Self.drop(key, from: &state) }
            state.transformed = state.transformed.filter { $0.key.fileID != fileID }
        }
    }

    func removeAll() {
        state.withLock { state in
            state.entries.removeAll()
            state.transformed.removeAll()
            state.bytes = 0
        }
    }

    private static func drop(_ key: Key, from state: inout State) {
        if let gone = state.entries.removeValue(forKey: key) { state.bytes -= gone.source.bytes }
    }

    /// True when no sweep is scheduled yet (the caller schedules it, outside the lock).
    private static func armSweep(_ state: inout State) -> Bool {
        defer { state.sweeping = true }
        return !state.sweeping
    }

    /// Drops entries past their lifetime until none is left, so that an idle server gives the memory back.
    private func scheduleSweep() {
        let period = Duration.microseconds(lifetime)
        Task { [weak self] in
            while true {
                try? await Task.sleep(for: period)
                guard let self else { return }
                let now = VipsClock.now
                let empty = self.state.withLock { state -> Bool in
                    for (key, entry) in state.entries where now - entry.lastUse > self.lifetime { Self.drop(key, from: &state) }
                    state.transformed = state.transformed.filter { now - $0.value <= self.lifetime }
                    let empty = state.entries.isEmpty && state.transformed.isEmpty
                    if empty { state.sweeping = false }
                    return empty
                }
                if empty { return }
            }
        }
    }
}
