extension SystemTables {
    /// The system collections Directus's clients read beyond the access model and files — translations,
    /// bookmarks and layout presets, comments, notifications, shares, dashboards and their panels, and content
    /// versions — with Directus 11's columns, defaults,
    /// nullability and foreign keys (knex's `<table>_<column>_foreign` names, Directus's ON DELETE rules), in
    /// knex's style so that they match what Directus itself creates.
    /// Created by their own migration, after `all`, whose tables they reference.
    public static let clientCollections: [TableSpec] = [
        TableSpec("directus_translations", [
            uuid("id").primaryKey(), string("language").notNull(), string("key").notNull(), text("value").notNull(),
        ], knexStyle: true),
        TableSpec("directus_presets", [
            increments(), string("bookmark"), uuid("user").references("directus_users", onDelete: "CASCADE"),
            uuid("role").references("directus_roles", onDelete: "CASCADE"), string("collection", 64), string("search", 100),
            string("layout", 100).defaults(.string("tabular")), json("layout_query"), json("layout_options"),
            integer("refresh_interval"), json("filter"), string("icon", 64).defaults(.string("bookmark")), string("color"),
        ], knexStyle: true),
        TableSpec("directus_comments", [
            uuid("id").primaryKey(), string("collection", 64).notNull(), string("item").notNull(), text("comment").notNull(),
            timestamp("date_created").defaults(.now), timestamp("date_updated").defaults(.now),
            uuid("user_created").references("directus_users"),
            // Directus leaves this one without a rule; deleting a user clears it first (SystemReferences).
            uuid("user_updated").references("directus_users", onDelete: "NO ACTION"),
        ], knexStyle: true),
        TableSpec("directus_notifications", [
            increments(), timestamp("timestamp").defaults(.now), string("status").defaults(.string("inbox")),
            uuid("recipient").notNull().references("directus_users", onDelete: "CASCADE"),
            uuid("sender").references("directus_users", onDelete: "NO ACTION"), string("subject").notNull(), text("message"),
            string("collection", 64), string("item"),
        ], knexStyle: true),
        TableSpec("directus_shares", [
            uuid("id").primaryKey(), string("name"),
            string("collection", 64).notNull().references("directus_collections", "collection", onDelete: "CASCADE"),
            string("item").notNull(), uuid("role").references("directus_roles", onDelete: "CASCADE"), string("password"),
            uuid("user_created").references("directus_users"), timestamp("date_created").defaults(.now),
            timestamp("date_start"), timestamp("date_end"), integer("times_used").defaults(.int(0)), integer("max_uses"),
        ], knexStyle: true),
        TableSpec("directus_dashboards", [
            uuid("id").primaryKey(), string("name").notNull(), string("icon", 64).notNull().defaults(.string("dashboard")),
            text("note"), timestamp("date_created").defaults(.now), uuid("user_created").references("directus_users"),
            string("color"),
        ], knexStyle: true),
        TableSpec("directus_panels", [
            uuid("id").primaryKey(), uuid("dashboard").notNull().references("directus_dashboards", onDelete: "CASCADE"),
            string("name"), string("icon", 64), string("color", 10), boolean("show_header", false), text("note"),
            string("type").notNull(), integer("position_x").notNull(), integer("position_y").notNull(),
            integer("width").notNull(), integer("height").notNull(), json("options"), timestamp("date_created").defaults(.now),
            uuid("user_created").references("directus_users"),
        ], knexStyle: true),
        TableSpec("directus_versions", [
            uuid("id").primaryKey(), string("key", 64).notNull(), string("name"),
            string("collection", 64).notNull().references("directus_collections", "collection", onDelete: "CASCADE"),
            string("item").notNull(), string("hash"), timestamp("date_created").defaults(.now),
            timestamp("date_updated").defaults(.now), uuid("user_created").references("directus_users"),
            // Directus leaves this one without a rule, as directus_comments.user_updated.
            uuid("user_updated").references("directus_users", onDelete: "NO ACTION"), json("delta"),
        ], knexStyle: true),
    ]

    /// Every system table Depot serves as a collection, in creation order.
    public static var collections: [TableSpec] { all + clientCollections }
}
