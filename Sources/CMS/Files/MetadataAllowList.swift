/// `FILE_METADATA_ALLOW_LIST`: which parts of an image's embedded metadata an upload records in
/// `directus_files.metadata` — paths such as `ifd0.Make` or a whole section such as `iptc`, or `*` for everything.
public struct MetadataAllowList: Sendable, Equatable {
    /// Directus's default.
    public static let directus = MetadataAllowList(["ifd0.Make", "ifd0.Model", "exif.FNumber", "exif.ExposureTime", "exif.FocalLength",
                                                    "exif.ISOSpeedRatings"])

    public let paths: [String]

    public init(_ paths: [String]) { self.paths = paths }

    /// `*` (as Directus, only as the list's first entry) keeps everything.
    var keepsAll: Bool { paths.first == "*" }

    /// Whether anything under `section`.`key` is kept (a longer path keeps part of that value).
    public func keeps(_ section: String, _ key: String) -> Bool {
        keepsAll || paths.contains { path in
            let parts = path.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
            return parts[0] == section && (parts.count == 1 || parts[1] == key)
        }
    }

    /// The parts of `metadata` (an object of sections) that the list names, as lodash's `pick` selects them.
    func pick(_ metadata: JSONValue) -> JSONValue {
        if keepsAll { return metadata }
        var picked = JSONValue.object([])
        for path in paths {
            let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard let value = Self.value(metadata, parts) else { continue }
            picked = Self.setting(picked, parts[...], to: value)
        }
        return picked
    }

    private static func value(_ root: JSONValue, _ parts: [String]) -> JSONValue? {
        parts.reduce(root as JSONValue?) { value, part in
            guard let value else { return nil }
            if let items = value.arrayItems { return Int(part).flatMap { items.indices.contains($0) ? items[$0] : nil } }
            return value[part]
        }
    }

    private static func setting(_ object: JSONValue, _ parts: ArraySlice<String>, to value: JSONValue) -> JSONValue {
        guard let first = parts.first else { return value }
        let inner = object[first].flatMap { $0.objectKeys == nil ? nil : $0 } ?? .object([])
        return object.merging(.object([(first, setting(inner, parts.dropFirst(), to: value))]))
    }
}
