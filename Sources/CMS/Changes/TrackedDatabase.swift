import Database

/// The database as the CMS services use it. A committed transaction is announced on the `ChangeFeed` with the
/// tables its writers named (`execute(_:_:writing:)`); a read made for a request with a `ReadTracker` tags that
/// request with the tables its caller named (`read(tagging:_:)`, from the compiled query's AST). Nothing is
/// guessed from SQL text, and what nobody named errs on the safe side: a statement run through plain `execute`
/// in a transaction counts as a change to everything, and a plain `read` makes the request's answer uncacheable.
public final class TrackedDatabase: Database {
    public let base: any Database
    public let feed: ChangeFeed

    public init(_ base: any Database, feed: ChangeFeed) {
        self.base = base
        self.feed = feed
    }

    public var dialect: SQLDialect { base.dialect }

    /// A read whose tables nobody named: no write could be matched to it, so a cached request does not keep
    /// the answer.
    public func read<T: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T {
        ReadTracker.current?.markUncacheable()
        return try await base.read(body)
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T {
        try await announced(schema: false, body)
    }

    public func schemaTransaction<T: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T {
        try await announced(schema: true, body)
    }

    public func poolStatus() async -> PoolStatus { await base.poolStatus() }
    public func close() async { await base.close() }

    private func announced<T: Sendable>(schema: Bool, _ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T {
        let recorded: @Sendable (any DatabaseConnection) throws -> (T, Set<String>, Bool) = { connection in
            let recording = RecordingConnection(connection)
            return (try body(recording), recording.written, recording.unlisted)
        }
        let (result, written, unlisted) = schema ? try await base.schemaTransaction(recorded) : try await base.transaction(recorded)
        if !written.isEmpty || unlisted || schema {
            await feed.emit(ChangeEvent(tables: written, schemaChanged: schema || !written.isDisjoint(with: ChangeEvent.schemaTables),
                                        unlisted: unlisted))
        }
        return result
    }
}

extension Database {
    /// Runs a read of `tables`, as the caller knows them (a compiled query's AST): on a `TrackedDatabase` they
    /// tag the request's cached answer, so a write to any of them drops it.
    func read<T: Sendable>(tagging tables: Set<String>, _ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T {
        guard let tracked = self as? TrackedDatabase else { return try await read(body) }
        ReadTracker.current?.record(tables)
        return try await tracked.base.read(body)
    }

    /// One statement writing `table`, in a transaction of its own.
    @discardableResult
    func execute(_ sql: String, _ binds: [DatabaseValue] = [], writing table: String) async throws -> Int {
        try await transaction { try $0.execute(sql, binds, writing: table) }
    }
}

extension DatabaseConnection {
    /// Runs an INSERT, UPDATE or DELETE of `table`; in a tracked transaction the table is announced when it commits.
    @discardableResult
    func execute(_ sql: String, _ binds: [DatabaseValue] = [], writing table: String) throws -> Int {
        guard let recording = self as? RecordingConnection else { return try execute(sql, binds) }
        return try recording.writing(table) { try $0.execute(sql, binds) }
    }

    /// Runs a write of `table` that returns rows (`RETURNING`); announced as `execute(_:_:writing:)` is.
    func query(_ sql: String, _ binds: [DatabaseValue] = [], writing table: String) throws -> [Row] {
        guard let recording = self as? RecordingConnection else { return try query(sql, binds) }
        return try recording.writing(table) { try $0.query(sql, binds) }
    }
}

/// A transaction's connection: notes the tables its writes name. `query` is for reads (a write through it must
/// name its table, `query(_:_:writing:)`); a plain `execute` — DDL, or a write that named nothing — is noted
/// as `unlisted`.
final class RecordingConnection: DatabaseConnection {
    private let base: any DatabaseConnection
    private(set) var written: Set<String> = []
    private(set) var unlisted = false

    init(_ base: any DatabaseConnection) { self.base = base }

    var dialect: SQLDialect { base.dialect }

    func query(_ sql: String, _ binds: [DatabaseValue]) throws -> [Row] {
        try base.query(sql, binds)
    }

    func execute(_ sql: String, _ binds: [DatabaseValue]) throws -> Int {
        unlisted = true
        return try base.execute(sql, binds)
    }

    /// Noted before it runs: a failed statement at worst drops entries it did not change.
    func writing<T>(_ table: String, _ statement: (any DatabaseConnection) throws -> T) throws -> T {
        written.insert(table)
        return try statement(base)
    }
}
