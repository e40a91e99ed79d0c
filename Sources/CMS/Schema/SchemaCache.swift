import Database
import Synchronization

/// Holds the current `SchemaSnapshot`: built on first use, dropped by `invalidate()` after any schema change.
public final class SchemaCache: Sendable {
    private let database: any Database
    private let state = Mutex<(snapshot: SchemaSnapshot?, generation: Int)>((nil, 0))

    public init(database: any Database) {
        self.database = database
    }

    public func snapshot() async throws -> SchemaSnapshot {
        let (cached, generation) = state.withLock { ($0.snapshot, $0.generation) }
        if let cached { return cached }
        let built = try await database.read(tagging: ChangeEvent.schemaTables) { try SchemaIntrospector(connection: $0).snapshot() }
        state.withLock { state in
            // A schema change during the build makes this snapshot stale: return it, do not keep it.
            if state.generation == generation { state.snapshot = built }
        }
        return built
    }

    /// The schema changed: the next `snapshot()` reads the catalog again.
    public func invalidate() {
        state.withLock { $0 = (nil, $0.generation + 1) }
    }

    /// The snapshot of one collection, or FORBIDDEN when it does not exist (existence is never revealed).
    public func collection(_ name: String) async throws -> CollectionSchema {
        guard let collection = try await snapshot().collection(name) else { throw CMSError.forbidden }
        return collection
    }
}
