import Database

/// Notifications Depot sends a user about work it did for them in the background (imports, exports), as
/// Directus's services do: a `directus_notifications` row from the user to themselves.
struct Notifier: Sendable {
    let database: any Database

    /// Sends `subject` and the message made from the user's display name; a user who no longer exists is skipped.
    func send(to user: String, subject: String, collection: String? = nil, item: String? = nil,
              message: @escaping @Sendable (_ name: String) -> String) async throws {
        try await database.transaction { connection in
            guard let row = try connection.query("SELECT first_name, last_name, email FROM directus_users WHERE id = ?", [.text(user)]).first else { return }
            let name = Self.displayName(first: row["first_name"].string, last: row["last_name"].string, email: row["email"].string)
            try connection.execute("""
                INSERT INTO directus_notifications (recipient, sender, subject, message, collection, item) VALUES (?, ?, ?, ?, ?, ?)
                """, [.text(user), .text(user), .text(subject), .text(message(name)), .optional(collection), .optional(item)])
        }
    }

    /// Directus's `userName`: first and last name, else the email, else "Unknown User".
    static func displayName(first: String?, last: String?, email: String?) -> String {
        let names = [first, last].compactMap { $0?.isEmpty == false ? $0 : nil }
        if !names.isEmpty { return names.joined(separator: " ") }
        return email ?? "Unknown User"
    }
}
