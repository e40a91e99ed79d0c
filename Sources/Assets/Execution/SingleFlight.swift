/// Concurrent requests for the same key share one execution: the first starts it, the others wait for its result.
/// The work runs in a task of its own, so a leader whose client goes away does not cancel it for the others.
/// A key is free again as soon as its work has ended: a caller arriving after that starts anew rather than
/// receiving a result made before it asked (a shared decode too small for it, say).
actor SingleFlight<Value: Sendable> {
    private var running: [String: Task<Value, any Error>] = [:]

    /// The value, and whether this caller started the work.
    func run(_ key: String, _ work: @escaping @Sendable () async throws -> Value) async throws -> (Value, leader: Bool) {
        if let task = running[key] { return (try await task.value, false) }
        let task = Task {
            defer { running[key] = nil }
            return try await work()
        }
        running[key] = task
        return (try await task.value, true)
    }
}
