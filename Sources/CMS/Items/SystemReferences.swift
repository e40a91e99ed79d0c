import Database

/// References that Directus's schema leaves without an ON DELETE rule and its services clear by hand before a
/// delete (a comment's last editor, a notification's sender): without this the foreign key refuses to delete
/// a user who ever edited a comment or sent a notification.
enum SystemReferences {
    static let clearedBeforeDelete: [String: [(table: String, column: String)]] = [
        "directus_users": [("directus_comments", "user_updated"), ("directus_notifications", "sender"), ("directus_versions", "user_updated")],
    ]

    /// Clears the references to the row `key` of `table` that would block its deletion.
    static func release(_ table: String, key: DatabaseValue, on connection: any DatabaseConnection) throws {
        let d = connection.dialect
        for (referencing, column) in clearedBeforeDelete[table] ?? [] {
            try connection.execute("UPDATE \(d.quote(referencing)) SET \(d.quote(column)) = NULL WHERE \(d.quote(column)) = ?", [key])
        }
    }
}
