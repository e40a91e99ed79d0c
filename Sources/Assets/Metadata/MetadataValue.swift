/// One value of an image's embedded metadata, shaped as Directus stores it in `directus_files.metadata` (its
/// JSON): numbers, strings, arrays, objects, and byte strings as Node serialises a Buffer.
public indirect enum MetadataValue: Sendable, Equatable {
    case null
    case integer(Int64)
    /// Non-finite values (a rational over zero) are `null` in JSON, as `JSON.stringify` writes them.
    case number(Double)
    case string(String)
    case array([MetadataValue])
    case object([MetadataField])

    /// Bytes as Node's `JSON.stringify(buffer)` writes them: `{"type":"Buffer","data":[…]}`.
    static func buffer(_ bytes: some Collection<UInt8>) -> MetadataValue {
        .object([MetadataField("type", .string("Buffer")), MetadataField("data", .array(bytes.map { .integer(Int64($0)) }))])
    }

    /// The value of `key` in an object.
    public subscript(key: String) -> MetadataValue? {
        guard case .object(let fields) = self else { return nil }
        return fields.first { $0.key == key }?.value
    }
}

/// A key of a metadata object and its value, in the order the file holds them.
public struct MetadataField: Sendable, Equatable {
    public let key: String
    public let value: MetadataValue

    public init(_ key: String, _ value: MetadataValue) {
        self.key = key
        self.value = value
    }
}

/// Which values to keep, asked per section (`ifd0`, `exif`, `iptc` …) and key (`Make`, `caption` …): values not
/// kept are never materialised, so a file's metadata costs only what is asked of it.
public typealias MetadataSelection = @Sendable (_ section: String, _ key: String) -> Bool

/// What reading one file's metadata may cost: values past these bounds are left out, never truncated.
struct MetadataBudget {
    /// Bytes (strings) or elements (arrays, buffers) one value may hold.
    static let maxValue = 64 * 1024
    /// The same, over all the values of one block.
    static let total = 256 * 1024
    private(set) var remaining = total

    /// Takes `cost` from the budget; false (and nothing taken) when the value is too large to keep.
    mutating func take(_ cost: Int) -> Bool {
        guard cost <= Self.maxValue, cost <= remaining else { return false }
        remaining -= cost
        return true
    }
}
