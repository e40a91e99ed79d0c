import Storage

/// `FILES_*` and `IMPORT_*` options.
public struct FilesConfiguration: Sendable, Equatable {
    /// `FILES_MAX_UPLOAD_SIZE`; nil = no limit.
    public var maxUploadSize: Int64?
    /// `FILES_MIME_TYPE_ALLOW_LIST`: patterns such as `image/*`, `application/pdf`, `*/*`.
    public var mimeTypeAllowList: [String] = ["*/*"]
    /// `IMPORT_IP_DENY_LIST`: addresses or CIDR blocks refused for imports; `0.0.0.0` stands for every
    /// loopback, private, link-local and metadata address (Directus's default).
    public var importDenyList: [String] = ["0.0.0.0", "169.254.169.254"]
    public var importMaxRedirects = 5
    public var importTimeoutMilliseconds = 30_000
    /// `FILE_METADATA_ALLOW_LIST`.
    public var metadataAllowList = MetadataAllowList.directus

    public init() {}

    func allows(_ type: String) -> Bool {
        mimeTypeAllowList.contains { pattern in
            if pattern == "*/*" || pattern == "*" { return true }
            if pattern.hasSuffix("/*") { return type.hasPrefix(pattern.dropLast()) }
            return pattern.lowercased() == type
        }
    }
}

/// What a stored image's header says: the size it is shown at and its embedded metadata as Directus's sections
/// (`ifd0`, `exif`, `icc`, `iptc` …).
public struct ImageDetails: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let metadata: JSONValue

    public init(width: Int, height: Int, metadata: JSONValue) {
        self.width = width
        self.height = height
        self.metadata = metadata
    }
}

/// Reads a stored image's header; implemented with the Assets module and handed in by the server.
public protocol ImageInspector: Sendable {
    /// The details of the object at `key` (`size` bytes, of which `prefix` are the first) holding the metadata
    /// values `keep` asks for (by section and key); nil when it is not an image.
    func inspect(_ key: String, in driver: any StorageDriver, size: Int64, prefix: [UInt8],
                 keep: @escaping @Sendable (_ section: String, _ key: String) -> Bool) async -> ImageDetails?
}
