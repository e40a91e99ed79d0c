/// Directus's system tables, with Directus's names and columns (Directus 11), in creation order:
/// a table comes after every table its foreign keys point to.
public enum SystemTables {
    public static let all: [TableSpec] = [
        TableSpec("directus_folders", [
            uuid("id").primaryKey(), string("name").notNull(), uuid("parent").references("directus_folders"),
        ]),
        TableSpec("directus_roles", [
            uuid("id").primaryKey(), string("name", 100).notNull(),
            string("icon", 64).notNull().defaults(.string("supervised_user_circle")), text("description"),
            uuid("parent").references("directus_roles"),
        ]),
        TableSpec("directus_policies", [
            uuid("id").primaryKey(), string("name", 100).notNull(), string("icon", 64).notNull().defaults(.string("badge")),
            text("description"), text("ip_access"), boolean("enforce_tfa", false), boolean("admin_access", false),
            boolean("app_access", false),
        ]),
        TableSpec("directus_users", [
            uuid("id").primaryKey(), string("first_name", 50), string("last_name", 50), string("email", 128).isUnique(),
            string("password"), string("location"), string("title", 50), text("description"), json("tags"), uuid("avatar"),
            string("language").defaults(.string("en-US")), string("tfa_secret"),
            string("status", 16).notNull().defaults(.string("active")), uuid("role").references("directus_roles"),
            string("token").isUnique(), timestamp("last_access"), string("last_page"),
            string("provider", 128).notNull().defaults(.string("default")), string("external_identifier").isUnique(),
            json("auth_data"), boolean("email_notifications", true), string("appearance"), string("theme_dark"),
            string("theme_light"), json("theme_light_overrides"), json("theme_dark_overrides"),
            string("text_direction").notNull().defaults(.string("auto")),
        ]),
        TableSpec("directus_access", [
            uuid("id").primaryKey(), uuid("role").references("directus_roles", onDelete: "CASCADE"),
            uuid("user").references("directus_users", onDelete: "CASCADE"),
            uuid("policy").notNull().references("directus_policies", onDelete: "CASCADE"), integer("sort"),
        ]),
        TableSpec("directus_permissions", [
            increments(), string("collection", 64).notNull(), string("action", 10).notNull(), json("permissions"),
            json("validation"), json("presets"), text("fields"),
            uuid("policy").notNull().references("directus_policies", onDelete: "CASCADE"),
        ]),
        TableSpec("directus_files", [
            uuid("id").primaryKey(), string("storage").notNull(), string("filename_disk"),
            string("filename_download").notNull(), string("title"), string("type"),
            uuid("folder").references("directus_folders"), uuid("uploaded_by").references("directus_users"),
            timestamp("created_on").notNull().defaults(.now), uuid("modified_by").references("directus_users"),
            timestamp("modified_on").notNull().defaults(.now), string("charset", 50), bigInteger("filesize"),
            integer("width"), integer("height"), integer("duration"), string("embed", 200), text("description"),
            text("location"), text("tags"), json("metadata"), integer("focal_point_x"), integer("focal_point_y"),
            string("tus_id", 64), json("tus_data"), timestamp("uploaded_on"),
        ]),
        TableSpec("directus_sessions", [
            string("token", 64).primaryKey(), uuid("user").references("directus_users", onDelete: "CASCADE"),
            timestamp("expires").notNull(), string("ip"), text("user_agent"), uuid("share"), string("origin"),
            string("next_token", 64),
        ]),
        TableSpec("directus_activity", [
            increments(), string("action", 45).notNull(), uuid("user"), timestamp("timestamp").notNull().defaults(.now),
            string("ip", 50), text("user_agent"), string("collection", 64).notNull(), string("item").notNull(),
            string("origin"), text("comment"),
        ]),
        TableSpec("directus_revisions", [
            increments(), integer("activity").notNull().references("directus_activity", onDelete: "CASCADE"),
            string("collection", 64).notNull(), string("item").notNull(), json("data"), json("delta"),
            integer("parent").references("directus_revisions"), uuid("version"),
        ]),
        TableSpec("directus_settings", [
            increments(), string("project_name", 100).notNull().defaults(.string("Directus")), string("project_url"),
            string("project_color", 255).defaults(.string("#6644FF")), uuid("project_logo"), uuid("public_foreground"),
            uuid("public_background"), text("public_note"), integer("auth_login_attempts").defaults(.int(25)),
            string("auth_password_policy", 100), string("storage_asset_transform", 7).defaults(.string("all")),
            json("storage_asset_presets"), text("custom_css"), uuid("storage_default_folder"), json("basemaps"),
            string("mapbox_key"), json("module_bar"), string("project_descriptor", 100),
            string("default_language").notNull().defaults(.string("en-US")), json("custom_aspect_ratios"),
            uuid("public_favicon"), string("default_appearance").notNull().defaults(.string("auto")),
            string("default_theme_light"), json("theme_light_overrides"), string("default_theme_dark"),
            json("theme_dark_overrides"), string("report_error_url"), string("report_bug_url"),
            string("report_feature_url"), boolean("public_registration", false),
            boolean("public_registration_verify_email", true), uuid("public_registration_role"),
            json("public_registration_email_filter"),
        ]),
        TableSpec("directus_collections", [
            string("collection", 64).primaryKey(), string("icon", 64), text("note"), string("display_template"),
            boolean("hidden", false), boolean("singleton", false), json("translations"), string("archive_field", 64),
            boolean("archive_app_filter", true), string("archive_value"), string("unarchive_value"),
            string("sort_field", 64), string("accountability").defaults(.string("all")), string("color"),
            json("item_duplication_fields"), integer("sort"), string("group", 64),
            string("collapse").notNull().defaults(.string("open")), string("preview_url"), boolean("versioning", false),
        ]),
        TableSpec("directus_fields", [
            increments(), string("collection", 64).notNull(), string("field", 64).notNull(), string("special", 64),
            string("interface", 64), json("options"), string("display", 64), json("display_options"),
            boolean("readonly", false), boolean("hidden", false), integer("sort"), string("width", 30).defaults(.string("full")),
            json("translations"), text("note"), json("conditions"), boolean("required", false), string("group", 64),
            json("validation"), text("validation_message"), boolean("searchable", true),
        ]),
        TableSpec("directus_relations", [
            increments(), string("many_collection", 64).notNull(), string("many_field", 64).notNull(),
            string("one_collection", 64), string("one_field", 64), string("one_collection_field", 64),
            text("one_allowed_collections"), string("junction_field", 64), string("sort_field", 64),
            string("one_deselect_action").notNull().defaults(.string("nullify")),
        ]),
        TableSpec("directus_flows", [
            uuid("id").primaryKey(), string("name").notNull(), string("icon", 64), string("color"), text("description"),
            string("status").notNull().defaults(.string("active")), string("trigger"),
            string("accountability").defaults(.string("all")), json("options"), uuid("operation").isUnique(),
            timestamp("date_created").defaults(.now), uuid("user_created").references("directus_users"),
        ]),
        TableSpec("directus_operations", [
            uuid("id").primaryKey(), string("name"), string("key").notNull(), string("type").notNull(),
            integer("position_x").notNull(), integer("position_y").notNull(), json("options"),
            uuid("resolve").isUnique().references("directus_operations"), uuid("reject").isUnique().references("directus_operations"),
            uuid("flow").notNull().references("directus_flows", onDelete: "CASCADE"),
            timestamp("date_created").defaults(.now), uuid("user_created").references("directus_users"),
        ]),
    ]

    /// Depot's own record of stored image derivatives (`<id>__<hash>.<ext>` beside each original), so that
    /// serving one needs no storage listing and removing a file's derivatives lists nothing.
    public static let derivatives = TableSpec("depot_derivatives", [
        increments(), uuid("file").notNull(), string("hash", 64).notNull(), string("storage").notNull(),
        string("key").notNull(), string("type").notNull(), bigInteger("filesize").notNull(), string("etag"),
        integer("width"), integer("height"), timestamp("created_on").defaults(.now),
    ])

    /// Depot's record of uploads in progress: written before an upload's bytes, deleted in the transaction that
    /// inserts its `directus_files` row. An entry that outlives its writer (a crash) names an object that may
    /// have no row; start-up removes such objects. `writer` is the process (`pid@host`) that wrote it.
    public static let pendingUploads = TableSpec("depot_pending_uploads", [
        uuid("id").primaryKey(), string("storage").notNull(), string("key").notNull(), string("writer").notNull(),
        timestamp("created_on").notNull(),
    ])

    /// Indexes Directus relies on for its hot lookups.
    static let indexes: [(table: String, columns: [String])] = [
        ("directus_access", ["role"]), ("directus_access", ["user"]), ("directus_permissions", ["policy"]),
        ("directus_sessions", ["user"]), ("directus_revisions", ["activity"]), ("directus_fields", ["collection"]),
        ("directus_activity", ["collection", "item"]), ("directus_files", ["folder"]),
    ]
}
