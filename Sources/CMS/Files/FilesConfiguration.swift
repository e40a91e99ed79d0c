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

    public init() {}

    func allows(_ type: String) -> Bool {
        mimeTypeAllowList.contains { pattern in
            if pattern == "*/*" || pattern == "*" { return true }
            if pattern.hasSuffix("/*") { return type.hasPrefix(pattern.dropLast()) }
            return pattern.lowercased() == type
        }
    }
}

/// Reads an image's dimensions; implemented by the Assets module and handed in by the server.
public protocol ImageInspector: Sendable {
    /// Width and height from the first bytes of a file, nil when they are not an image.
    func dimensions(prefix: [UInt8]) async -> (width: Int, height: Int)?
}
