import Database
import Foundation
import Storage

/// One file's metadata change from a JSON payload, taken as Directus takes it: every column the caller's update
/// rules allow, `id` ignored, `modified_on`/`modified_by` left to Depot. Refused with 400: the columns that
/// describe the stored bytes (the row must not lie about them), and a `filename_disk` that is no key of a
/// location (a changed one renames the object, see `FileRename`).
struct FileEdit {
    let id: String
    /// The payload's fields, for the caller's rules.
    let fields: [String]
    /// The columns to set, `filename_disk` aside.
    let values: [(String, DatabaseValue)]
    /// The key the file's object is to have, when the payload gives one.
    let filenameDisk: String?

    /// Depot's alone: what was stored, and where.
    static let describesBytes: Set<String> = ["storage", "filesize", "width", "height"]
    /// Set on every change, whatever the payload says.
    static let stamped: Set<String> = ["modified_on", "modified_by"]

    init(id: String, payload: JSONValue, store: CollectionStore) throws(CMSError) {
        guard case .object(let object, let keys) = payload else { throw CMSError.invalidPayload("Payload must be an object") }
        let given = keys.filter { $0 != store.schema.primaryKey && !Self.stamped.contains($0) }
        if let refused = given.first(where: { Self.describesBytes.contains($0) }) {
            throw CMSError(code: "INVALID_PAYLOAD", status: 400,
                           message: "Invalid payload. \"\(refused)\" can't be changed: it describes the stored file.",
                           extensions: ["reason": "\"\(refused)\" can't be changed: it describes the stored file", "field": refused])
        }
        var disk: String?
        var pairs: [(String, JSONValue)] = []
        for key in given {
            let value = object[key]!
            switch key {
            case "filename_disk": disk = try Self.key(value, field: store.schema.field(key))
            case "type": pairs.append((key, try Self.mediaType(value)))
            default: pairs.append((key, value))
            }
        }
        self.id = id
        self.fields = given
        self.values = try store.values(.object(pairs), writable: Set(store.schema.columns.map(\.name)))
        self.filenameDisk = disk
    }

    /// A new object key: a string a location accepts, not hidden (temporary files and probes are), not shaped
    /// like a derivative's (`<file id>__…`, which another file's transform could overwrite).
    private static func key(_ value: JSONValue, field: FieldSchema?) throws(CMSError) -> String {
        guard let key = value.stringValue, StorageKey.isValid(key) else {
            throw CMSError.invalidPayload("\"filename_disk\" must be a relative key inside the file's storage location")
        }
        let name = key.split(separator: "/").last.map(String.init) ?? key
        guard !name.hasPrefix("."), FileStorageAudit.derivativeFile(key) == nil else {
            throw CMSError.invalidPayload("\"filename_disk\" can't name a hidden file or a derivative (\"<id>__…\")")
        }
        if let limit = field?.maxLength, key.count > limit {
            throw CMSError(code: "VALUE_TOO_LONG", status: 400, message: "Value for field \"filename_disk\" in collection \"directus_files\" is too long.",
                           extensions: ["collection": "directus_files", "field": "filename_disk"])
        }
        return key
    }

    /// `type/subtype` with optional parameters, lower-cased (types are case-insensitive, and the asset headers
    /// recognise markup by its lower-case name); null clears it.
    private static func mediaType(_ value: JSONValue) throws(CMSError) -> JSONValue {
        if value.isNull { return .null }
        let token: (Substring) -> Bool = { part in
            !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "!#$&^_.+-".contains($0)) }
        }
        guard let text = value.stringValue, !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw CMSError.invalidPayload("\"type\" must be a media type such as \"image/jpeg\"")
        }
        let essence = text.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let parts = essence.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, token(parts[0]), token(parts[1]) else {
            throw CMSError.invalidPayload("\"type\" must be a media type such as \"image/jpeg\"")
        }
        return .string(text.lowercased())
    }
}
