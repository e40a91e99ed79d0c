import Storage

/// A file as `/assets` serves it: its original, as transforms read it, and the name a download is offered under.
public struct AssetFile: Sendable {
    public let source: TransformSource
    public let filenameDownload: String

    public init(source: TransformSource, filenameDownload: String) {
        self.source = source
        self.filenameDownload = filenameDownload
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
