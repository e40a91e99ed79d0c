import Storage

/// A file as `/assets` serves it: where its original lives and what the answer says about it.
public struct AssetFile: Sendable {
    public let id: String
    public let storage: String
    public let driver: any StorageDriver
    public let key: String
    public let type: String?
    public let filenameDownload: String
    public let focalPoint: FocalPoint?

    public init(id: String, storage: String, driver: any StorageDriver, key: String, type: String?, filenameDownload: String,
                focalPoint: FocalPoint?) {
        self.id = id
        self.storage = storage
        self.driver = driver
        self.key = key
        self.type = type
        self.filenameDownload = filenameDownload
        self.focalPoint = focalPoint
    }
}

/// "May this caller read this file": the one question `AssetService` asks the CMS, per request.
public protocol AssetAccess: Sendable {
    /// The file, or nil when there is none or the caller may not read it (both are refused alike).
    func file(_ id: String) async throws -> AssetFile?
}

/// The transform settings as stored (`directus_settings.storage_asset_transform` and `storage_asset_presets`).
public struct StoredAssetSettings: Sendable, Equatable {
    public let transform: String?
    public let presetsJSON: String?

    public init(transform: String?, presetsJSON: String?) {
        self.transform = transform
        self.presetsJSON = presetsJSON
    }
}
