import Database

/// Project settings (`directus_settings`, a singleton row).
public final class SettingsService: Sendable {
    private let database: any Database

    public init(database: any Database) { self.database = database }

    /// The public project block of `/server/info`.
    public func projectInfo() async throws -> JSONValue {
        let columns = ["project_name", "project_descriptor", "project_logo", "project_color", "default_language",
                       "public_foreground", "public_background", "public_note", "custom_css"]
        let row = try await database.query("SELECT \(columns.joined(separator: ", ")) FROM directus_settings ORDER BY id LIMIT 1").first
        return .object(columns.map { column in
            let value = row?[column] ?? .null
            if column == "project_name", value.isNull { return (column, .string("Directus")) }
            return (column, value.string.map(JSONValue.string) ?? .null)
        })
    }
}
