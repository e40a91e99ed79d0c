import Database

/// The database as the CMS services use it: every committed transaction is announced on the `ChangeFeed`
/// with the tables its statements wrote, and reads made for a request with a `ReadTracker` record the tables
/// they read. Both come from the statements themselves, so no write path can forget to announce itself.
public final class TrackedDatabase: Database {
    public let base: any Database
    public let feed: ChangeFeed

    public init(_ base: any Database, feed: ChangeFeed) {
        self.base = base
        self.feed = feed
    }

    public var dialect: SQLDialect { base.dialect }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> T) async throws -> T {
        guard let tracker = ReadTracker.current else { return try await base.read(body) }
        let (result, tables) = try await base.read { connection in
            let recording = RecordingConnection(connection)
            return (try body(recording), recording.read)
        }
        tracker.record(tables)
        return result
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
            return (try body(recording), recording.written, recording.ddl)
        }
        let (result, written, ddl) = schema ? try await base.schemaTransaction(recorded) : try await base.transaction(recorded)
        if !written.isEmpty || ddl || schema {
            await feed.emit(ChangeEvent(tables: written, schemaChanged: schema || ddl || !written.isDisjoint(with: ChangeEvent.schemaTables)))
        }
        return result
    }
}

/// Passes statements through, noting the tables they read or write. The SQL is Depot's own (generated or
/// written in the services), so the table follows the statement's keyword.
final class RecordingConnection: DatabaseConnection {
    private let base: any DatabaseConnection
    private(set) var read: Set<String> = []
    private(set) var written: Set<String> = []
    private(set) var ddl = false

    init(_ base: any DatabaseConnection) { self.base = base }

    var dialect: SQLDialect { base.dialect }

    func query(_ sql: String, _ binds: [DatabaseValue]) throws -> [Row] {
        note(sql)
        return try base.query(sql, binds)
    }

    func execute(_ sql: String, _ binds: [DatabaseValue]) throws -> Int {
        note(sql)
        return try base.execute(sql, binds)
    }

    private func note(_ sql: String) {
        let words = SQLWords(sql)
        switch words.first {
        case "SELECT", "WITH": read.formUnion(words.tables(after: ["FROM", "JOIN"]))
        case "INSERT", "UPDATE", "DELETE": if let table = words.tables(after: ["INTO", "UPDATE", "FROM"]).first { written.insert(table) }
        case "CREATE", "ALTER", "DROP":
            ddl = true
            written.formUnion(words.tables(after: ["TABLE"]))
        default: break
        }
    }
}

/// The upper-cased keywords and identifiers of a statement, quotes removed; string literals skipped.
struct SQLWords {
    private(set) var words: [String] = []

    init(_ sql: String) {
        var current = ""
        var quote: Character?
        for ch in sql {
            if let q = quote {
                if ch == q { quote = nil; if q == "'" { current = "" } } else if q == "\"" { current.append(ch) }
                continue
            }
            if ch == "\"" || ch == "'" { quote = ch; continue }
            if ch.isLetter || ch.isNumber || ch == "_" || ch == "$" { current.append(ch); continue }
            if !current.isEmpty { words.append(current); current = "" }
        }
        if !current.isEmpty { words.append(current) }
    }

    var first: String? { words.first?.uppercased() }

    /// The words that follow any of `keywords` (skipping `IF NOT EXISTS` / `IF EXISTS` / `ONLY`).
    func tables(after keywords: Set<String>) -> [String] {
        var out: [String] = []
        var i = 0
        while i < words.count - 1 {
            if keywords.contains(words[i].uppercased()) {
                var j = i + 1
                while j < words.count, ["IF", "NOT", "EXISTS", "ONLY", "INTO"].contains(words[j].uppercased()) { j += 1 }
                if j < words.count, words[j].uppercased() != "SELECT" { out.append(words[j]) }
            }
            i += 1
        }
        return out
    }
}
