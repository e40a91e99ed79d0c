import Foundation

/// The `export` query parameter: the list answer as a file download instead of the `{data}` envelope.
public enum ExportFormat: String, Sendable, CaseIterable {
    case json, csv, yaml, xml

    public var contentType: String {
        switch self {
        case .json: "application/json; charset=utf-8"
        case .csv: "text/csv; charset=utf-8"
        case .yaml: "text/yaml; charset=utf-8"
        case .xml: "text/xml; charset=utf-8"
        }
    }

    public var fileExtension: String { rawValue }

    /// The items (the `data` array only, as Directus exports it) in this format.
    public func encode(_ items: [JSONValue]) throws -> [UInt8] {
        switch self {
        case .json: JSONValue.array(items).serialized()
        case .csv: try CSVExport.encode(items)
        case .yaml: try YAMLExport.encode(items)
        case .xml: XMLExport.encode(items)
        }
    }

    /// `YYYYMMDD-HHmmss` in UTC, as Directus names export files.
    public static func timestamp(_ date: Date = Date()) -> String {
        var seconds = time_t(date.timeIntervalSince1970), parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d%02d%02d-%02d%02d%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
    }
}
