/// Concurrent requests for the same key share one execution: the first starts it, the others wait for its result.
/// The work runs in a task of its own, so a leader whose client goes away does not cancel it for the others.
actor SingleFlight<Value: Sendable> {
    private var running: [String: Task<Value, any Error>] = [:]

    /// The value, and whether this caller started the work.
    func run(_ key: String, _ work: @escaping @Sendable () async throws -> Value) async throws -> (Value, leader: Bool) {
        if let task = running[key] { return (try await task.value, false) }
        let task = Task { try await work() }
        running[key] = task
        defer { running[key] = nil }
        return (try await task.value, true)
    }
}
