import Assets
import CMS
import Foundation
import Storage

/// Image headers for the files service: Assets' header reader, its metadata as CMS's JSON.
struct VipsImageInspector: ImageInspector {
    let reader: ImageHeaderReader

    func inspect(_ key: String, in driver: any StorageDriver, size: Int64, prefix: [UInt8],
                 keep: @escaping @Sendable (String, String) -> Bool) async -> ImageDetails? {
        guard let facts = await reader.read(key, from: driver, size: size, prefix: prefix, keep: keep) else { return nil }
        return ImageDetails(width: facts.width, height: facts.height, metadata: Self.json(.object(facts.metadata)))
    }

    /// NUL characters are dropped from text: PostgreSQL stores none.
    static func json(_ value: MetadataValue) -> JSONValue {
        switch value {
        case .null: .null
        case .integer(let n): .int(n)
        case .number(let x): x.isFinite ? .double(x) : .null
        case .string(let text): .string(text.contains("\u{0}") ? text.replacingOccurrences(of: "\u{0}", with: "") : text)
        case .array(let items): .array(items.map(json))
        // A repeated key keeps its first place and its last value, as in a JSON object.
        case .object(let fields): .object(fields.map { ($0.key, json($0.value)) })
        }
    }
}
