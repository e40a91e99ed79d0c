import Database

/// Writes `directus_activity` and `directus_revisions` rows on the mutation's own connection, so they commit or
/// roll back with it.
struct ActivityRecorder {
    let accountability: Accountability

    enum Action: String { case create, update, delete }

    /// Returns the activity id.
    @discardableResult
    func record(_ action: Action, collection: String, item: String, data: JSONValue?, delta: JSONValue?,
                on connection: any DatabaseConnection) throws -> Int {
        let d = connection.dialect
        let rows = try connection.query("""
            INSERT INTO directus_activity (action, \(d.quote("user")), \(d.quote("timestamp")), ip, user_agent, collection, item)
            VALUES (?, ?, \(d.now), ?, ?, ?, ?) RETURNING id
            """, [.text(action.rawValue), .optional(accountability.user), .optional(accountability.ip), .optional(accountability.userAgent),
                  .text(collection), .text(item)], writing: "directus_activity")
        let activity = rows.first?["id"].int ?? 0
        if action != .delete {
            try connection.execute("INSERT INTO directus_revisions (activity, collection, item, data, delta) VALUES (?, ?, ?, ?, ?)", [
                .integer(Int64(activity)), .text(collection), .text(item),
                data.map { .text(String(decoding: $0.serialized(), as: UTF8.self)) } ?? .null,
                delta.map { .text(String(decoding: $0.serialized(), as: UTF8.self)) } ?? .null,
            ], writing: "directus_revisions")
        }
        return activity
    }
}
