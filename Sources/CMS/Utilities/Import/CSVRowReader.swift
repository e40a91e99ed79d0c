import CSV
import Foundation

/// The rows of a spooled CSV file (header row first) as item payloads, one at a time. A cell is typed by its
/// column's field: text stays text for `FieldValues` to check against the field's type, `json` (and relational
/// alias) cells are parsed as JSON, `null` is null, and an empty cell leaves the field out, as Directus does.
/// A dotted header (`author.name`) writes into a nested object.
struct CSVRowReader {
    private let reader: CSVReader
    private let header: [[String]]
    private let schema: CollectionSchema
    let maxRowBytes: Int

    init(path: String, schema: CollectionSchema, maxRowBytes: Int) throws {
        guard let stream = InputStream(fileAtPath: path) else { throw CMSError.invalidPayload("The CSV file can't be read") }
        do {
            reader = try CSVReader(stream: stream, hasHeaderRow: true)
        } catch {
            throw CMSError.invalidPayload("The CSV file has no header row")
        }
        header = (reader.headerRow ?? []).map { $0.trimmingCharacters(in: .whitespaces).split(separator: ".").map(String.init) }
        self.schema = schema
        self.maxRowBytes = maxRowBytes
    }

    /// The next row with at least one value, nil at the end.
    mutating func next() throws -> JSONValue? {
        while let cells = reader.next() {
            guard cells.reduce(0, { $0 + $1.utf8.count }) <= maxRowBytes else {
                throw CMSError(code: "CONTENT_TOO_LARGE", status: 413, message: "A row of the file is larger than \(maxRowBytes) bytes.")
            }
            var row = JSONValue.object([])
            for (path, cell) in zip(header, cells) where !path.isEmpty {
                guard let value = value(cell, path) else { continue }
                row = Self.setting(row, path[...], value)
            }
            if row.objectKeys?.isEmpty == false { return row }
        }
        // CSV.swift reports the end of a file stream as `cannotReadFile`: only other errors are the file's.
        switch reader.error as? CSVError {
        case nil, .cannotReadFile?: return nil
        case .unicodeDecoding?, .stringEncodingMismatch?: throw CMSError.invalidPayload("The CSV file is not UTF-8 text")
        default: throw CMSError.invalidPayload("The CSV file can't be read")
        }
    }

    private func value(_ cell: String, _ path: [String]) -> JSONValue? {
        if cell.isEmpty { return nil }
        if cell == "null" { return .null }
        let field = path.count == 1 ? schema.field(path[0]) : nil
        switch field?.type {
        case .string?, .text?, .hash?, .uuid?, .date?, .time?, .dateTime?, .timestamp?, .decimal?, .integer?, .bigInteger?, .float?:
            return .string(cell)
        case .boolean?:
            return .string(cell.lowercased())
        case .csv?:
            return cell.hasPrefix("[") ? (try? JSONValue.parse(Array(cell.utf8))) ?? .string(cell) : .string(cell)
        default:
            // JSON fields, relational aliases and nested or unknown columns: JSON where it parses, else text.
            return (try? JSONValue.parse(Array(cell.utf8))) ?? .string(cell)
        }
    }

    /// `object` with `value` at `path`, intermediate objects created as needed.
    private static func setting(_ object: JSONValue, _ path: ArraySlice<String>, _ value: JSONValue) -> JSONValue {
        guard case .object(var dict, var keys) = object, let head = path.first else { return value }
        if dict[head] == nil { keys.append(head) }
        let inner = path.count == 1 ? value : setting(dict[head].flatMap { $0.objectKeys != nil ? $0 : nil } ?? .object([]), path.dropFirst(), value)
        dict[head] = inner
        return .object(dict, keys: keys)
    }
}
