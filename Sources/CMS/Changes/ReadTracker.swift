import Synchronization

/// Collects the tables a request's reads touched (for the response cache's tags). Set for a request with
/// `ReadTracker.$current.withValue`; the CMS's reads record into it the tables their compiled queries name
/// (`Database.read(tagging:_:)`).
public final class ReadTracker: Sendable {
    @TaskLocal public static var current: ReadTracker?

    private let state = Mutex<(tables: Set<String>, cacheable: Bool)>(([], true))

    public init() {}

    public var tables: Set<String> { state.withLock { $0.tables } }
    /// False once something time-dependent (`$NOW`) shaped the answer, or a read named no tables.
    public var cacheable: Bool { state.withLock { $0.cacheable } }

    func record(_ tables: Set<String>) {
        guard !tables.isEmpty else { return }
        state.withLock { $0.tables.formUnion(tables) }
    }

    func markUncacheable() { state.withLock { $0.cacheable = false } }
}
