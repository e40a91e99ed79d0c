import CSV
import Foundation

/// CSV as Directus writes it (json2csv with its `flatten` transform): nested objects become `parent.child`
/// columns, arrays stay JSON text, null is an empty cell; the header is every column in order of first use.
enum CSVExport {
    static func encode(_ items: [JSONValue]) throws -> [UInt8] {
        let rows = items.map { flatten($0) }
        var header: [String] = []
        var seen: Set<String> = []
        for row in rows { for (column, _) in row where seen.insert(column).inserted { header.append(column) } }

        let writer = try CSVWriter(stream: .toMemory())
        try writer.write(row: header)
        for row in rows {
            let cells = Dictionary(row, uniquingKeysWith: { first, _ in first })
            try writer.write(row: header.map { cells[$0].map(cell) ?? "" })
        }
        writer.stream.close()
        guard let data = writer.stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data else { return [] }
        return Array(data)
    }

    /// Leaves of `value` with dotted paths; an item that is not an object is one `value` column.
    static func flatten(_ value: JSONValue, prefix: String? = nil) -> [(String, JSONValue)] {
        guard case .object(let dict, let keys) = value else { return [(prefix ?? "value", value)] }
        return keys.flatMap { key -> [(String, JSONValue)] in
            let path = prefix.map { "\($0).\(key)" } ?? key
            if case .object = dict[key]! { return flatten(dict[key]!, prefix: path) }
            return [(path, dict[key]!)]
        }
    }

    static func cell(_ value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .string(let text): text
        default: String(decoding: value.serialized(), as: UTF8.self)
        }
    }
}
