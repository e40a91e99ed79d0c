import Database
import Foundation
import Synchronization

/// Project settings (`directus_settings`, a singleton row).
public final class SettingsService: Sendable {
    /// Checks a field's new value before it is written (e.g. asset presets); throws a CMSError to refuse it.
    public typealias Validator = @Sendable (JSONValue) throws -> Void

    public let store: CollectionStore
    private let guardian: CollectionGuard
    private let database: any Database
    private let validators: [String: Validator]
    /// The transform settings read on every transformed asset request, kept briefly.
    private let assetCache = Mutex<(value: AssetTransformSettings, until: Date)?>(nil)
    private static let assetCacheTTL: TimeInterval = 2

    public init(database: any Database, validators: [String: Validator] = [:], permissions: PermissionsResolver? = nil,
                system: SchemaSnapshot = .system) {
        self.database = database
        self.validators = validators
        self.store = system.store("directus_settings", database: database)
        self.guardian = CollectionGuard(permissions: permissions, store: store)
    }

    /// Forgets what is kept in memory (another instance changed the settings).
    public func reload() { assetCache.withLock { $0 = nil } }

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

    /// The settings object (`GET /settings`), under the caller's read rules on `directus_settings`.
    public func read(fields: [String], caller: Accountability) async throws -> JSONValue {
        var query = Query()
        query.fields = fields
        query.limit = 1
        query.sort = ["id"]
        let access = try await guardian.readAccess(caller)
        guard case .array(let rows) = try await store.readMany(query, accountability: caller, access: access).data, let row = rows.first else { return .object([]) }
        return row
    }

    /// `PATCH /settings`: every field but `id` may change (within the caller's rules); validators see their
    /// field's value first.
    public func update(_ payload: JSONValue, caller: Accountability) async throws {
        guard case .object(let object, let keys) = payload else { throw CMSError.invalidPayload("Payload must be an object") }
        try await guardian.rules(caller, "update", fields: keys)
        for (field, validate) in validators { if let value = object[field] { try validate(value) } }
        let writable = Set(store.schema.fields.map(\.name)).subtracting(["id"])
        let values = try store.values(payload, writable: writable)
        try await database.transaction { [store] connection in
            guard let id = try connection.query("SELECT id FROM directus_settings ORDER BY id LIMIT 1").first?["id"].string else {
                try store.insert(values, on: connection)
                return
            }
            try store.update(id, values, on: connection)
        }
        assetCache.withLock { $0 = nil }
    }

    /// `storage_asset_transform` and the raw JSON of `storage_asset_presets`.
    public func assetTransformSettings() async throws -> AssetTransformSettings {
        if let cached = assetCache.withLock({ $0 }), cached.until > Date() { return cached.value }
        let row = try await database.query("SELECT storage_asset_transform, storage_asset_presets FROM directus_settings ORDER BY id LIMIT 1").first
        let value = AssetTransformSettings(transform: row?["storage_asset_transform"].string, presetsJSON: row?["storage_asset_presets"].string)
        assetCache.withLock { $0 = (value, Date().addingTimeInterval(Self.assetCacheTTL)) }
        return value
    }
}

/// The two settings that govern image transforms, as stored.
public struct AssetTransformSettings: Sendable, Equatable {
    public let transform: String?
    public let presetsJSON: String?
}
