import Synchronization

/// What one committed write changed: the tables its statements named, and whether it changed the schema (DDL,
/// or the schema's metadata tables).
public struct ChangeEvent: Sendable, Equatable {
    /// The tables the write's statements named (activity and revisions included).
    public let tables: Set<String>
    public let schemaChanged: Bool
    /// A statement named no table (DDL, or a write run through plain `execute`): any table may have changed.
    public let unlisted: Bool

    public init(tables: Set<String>, schemaChanged: Bool, unlisted: Bool = false) {
        self.tables = tables
        self.schemaChanged = schemaChanged || unlisted
        self.unlisted = unlisted
    }

    /// The tables the schema snapshot is read from (besides the database's catalog, which only DDL changes).
    public static let schemaTables: Set<String> = ["directus_collections", "directus_fields", "directus_relations"]
    /// The tables that decide who may do what.
    public static let accessTables: Set<String> = ["directus_roles", "directus_policies", "directus_access", "directus_permissions", "directus_users"]

    public var accessChanged: Bool { unlisted || !tables.isDisjoint(with: Self.accessTables) }
    public var settingsChanged: Bool { unlisted || tables.contains("directus_settings") }
}

/// Where the CMS announces its committed writes: the server turns them into cache invalidation and messages
/// to the other instances. Listeners run before the write's caller gets its answer, so a client that reads
/// after its own write never meets the cache's old answer.
public final class ChangeFeed: Sendable {
    public typealias Listener = @Sendable (ChangeEvent) async -> Void
    private let listeners = Mutex<[Listener]>([])

    public init() {}

    public func subscribe(_ listener: @escaping Listener) {
        listeners.withLock { $0.append(listener) }
    }

    func emit(_ event: ChangeEvent) async {
        for listener in listeners.withLock({ $0 }) { await listener(event) }
    }
}
