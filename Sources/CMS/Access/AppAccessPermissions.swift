/// The permissions Directus 11 grants every caller with app access on top of its policies' own (Directus's
/// `app-access-permissions.yaml`): its own user record and activity, its roles, settings, translations, and its
/// own presets, comments, notifications and shares — what the admin app needs to start for a non-admin user.
enum AppAccessPermissions {
    static let rules: [PermissionRule] = {
        let own: JSONValue = .object([("_eq", "$CURRENT_USER")])
        func rule(_ collection: String, _ action: String, filter: JSONValue? = nil, validation: JSONValue? = nil,
                  fields: [String] = ["*"]) -> PermissionRule {
            PermissionRule(collection: collection, action: action, filter: filter, validation: validation, presets: nil, fields: fields)
        }
        let ownPresetsOrShared: JSONValue = .object([("_or", .array([
            .object([("user", own)]),
            .object([("_and", .array([.object([("user", .object([("_null", true)]))]), .object([("role", .object([("_eq", "$CURRENT_ROLE")]))])]))]),
            .object([("_and", .array([.object([("user", .object([("_null", true)]))]), .object([("role", .object([("_null", true)]))])]))]),
        ]))])
        return [
            rule("directus_activity", "read", filter: .object([("user", own)])),
            rule("directus_comments", "read", filter: .object([("user_created", own)])),
            rule("directus_comments", "create", validation: .object([("comment", .object([("_nnull", true)]))])),
            rule("directus_comments", "update", filter: .object([("user_created", own)]), fields: ["comment"]),
            rule("directus_comments", "delete", filter: .object([("user_created", own)])),
            rule("directus_presets", "read", filter: ownPresetsOrShared),
            rule("directus_presets", "create", validation: .object([("user", own)])),
            rule("directus_presets", "update", filter: .object([("user", own)]), validation: .object([("user", own)])),
            rule("directus_presets", "delete", filter: .object([("user", own)])),
            rule("directus_roles", "read", filter: .object([("id", .object([("_in", "$CURRENT_ROLES")]))])),
            rule("directus_settings", "read"),
            rule("directus_translations", "read"),
            rule("directus_notifications", "read", filter: .object([("recipient", own)])),
            rule("directus_notifications", "update", filter: .object([("recipient", own)]), fields: ["status"]),
            rule("directus_shares", "read", filter: .object([("user_created", own)])),
            rule("directus_users", "read", filter: .object([("id", own)]), fields: [
                "id", "first_name", "last_name", "last_page", "email", "password", "location", "title", "description", "tags",
                "preferences_divider", "avatar", "language", "appearance", "theme_light", "theme_dark", "tfa_secret", "status", "role",
            ]),
        ]
    }()
}
