import Foundation
import Database

/// The `directus_files` columns an upload's own bytes fill, by Directus's rules: `width`/`height`, `metadata`
/// (the sections `FILE_METADATA_ALLOW_LIST` keeps, plus Depot's `sha256` of the bytes), and — unless the upload
/// sets them — `description` from the IPTC caption and `tags` from the IPTC keywords.
enum ImageColumns {
    /// What the inspector must read: what the allow list keeps, and the IPTC caption and keywords.
    static func selection(_ allowList: MetadataAllowList) -> @Sendable (String, String) -> Bool {
        { section, key in allowList.keeps(section, key) || (section == "iptc" && (key == "caption" || key == "keywords")) }
    }

    /// Columns for a new file; `given` names the columns the upload (or a permission preset) already sets.
    static func upload(_ image: ImageDetails?, sha256: String?, allowList: MetadataAllowList, given: Set<String>) -> [(String, DatabaseValue)] {
        var columns = dimensions(image)
        if !given.contains("metadata"), let metadata = metadata(image, sha256: sha256, allowList: allowList) { columns.append(("metadata", metadata)) }
        if !given.contains("description"), case .string(let caption)? = image?.metadata["iptc"]?["caption"], let text = clean(caption) {
            columns.append(("description", .text(text)))
        }
        if !given.contains("tags"), let keywords = image?.metadata["iptc"]?["keywords"] {
            let tags = (keywords.arrayItems ?? [keywords]).compactMap { $0.stringValue.flatMap(clean) }
            if !tags.isEmpty { columns.append(("tags", .text(String(decoding: JSONValue.array(tags.map(JSONValue.string)).serialized(), as: UTF8.self)))) }
        }
        return columns
    }

    /// Columns for new bytes under an existing file: the size and the metadata describe the new bytes (unless the
    /// request sets `metadata`); the description and tags stay the file's.
    static func replace(_ image: ImageDetails?, sha256: String?, allowList: MetadataAllowList, given: Set<String>) -> [(String, DatabaseValue)] {
        var columns = dimensions(image).isEmpty ? [("width", DatabaseValue.null), ("height", .null)] : dimensions(image)
        if !given.contains("metadata") { columns.append(("metadata", metadata(image, sha256: sha256, allowList: allowList) ?? .null)) }
        return columns
    }

    private static func dimensions(_ image: ImageDetails?) -> [(String, DatabaseValue)] {
        guard let image else { return [] }
        return [("width", .integer(Int64(image.width))), ("height", .integer(Int64(image.height)))]
    }

    private static func metadata(_ image: ImageDetails?, sha256: String?, allowList: MetadataAllowList) -> DatabaseValue? {
        var value = image.map { allowList.pick($0.metadata) } ?? .object([])
        if let sha256 { value = value.merging(.object([("sha256", .string(sha256))])) }
        guard value.objectKeys?.isEmpty == false else { return nil }
        return .text(String(decoding: value.serialized(), as: UTF8.self))
    }

    /// Text fit for a text column: without NUL characters (PostgreSQL refuses them), trimmed; nil when empty.
    private static func clean(_ text: String) -> String? {
        let cleaned = text.replacingOccurrences(of: "\u{0}", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        return cleaned.isEmpty ? nil : cleaned
    }
}
