import Database
import Foundation

/// Conversion between JSON values and database values, by field kind.
enum FieldValues {
    static func json(_ value: DatabaseValue, _ field: FieldSchema) -> JSONValue {
        if value.isNull { return .null }
        switch field.kind {
        case .boolean: return value.bool.map(JSONValue.bool) ?? .null
        case .integer, .bigInteger: return value.int.map { .int(Int64($0)) } ?? .null
        case .float:
            if case .double(let d) = value { return .double(d) }
            return value.string.flatMap(Double.init).map(JSONValue.double) ?? .null
        case .json:
            guard let text = value.string else { return .null }
            return (try? JSONValue.parse(Array(text.utf8))) ?? .string(text)
        case .uuid, .string, .text, .timestamp:
            return value.string.map(JSONValue.string) ?? .null
        }
    }

    /// A payload or filter value for `field`; wrong types are INVALID_PAYLOAD (or INVALID_QUERY in a filter).
    static func database(_ value: JSONValue, _ field: FieldSchema, inFilter: Bool = false) throws(CMSError) -> DatabaseValue {
        func wrong(_ expected: String) -> CMSError {
            let reason = "\"\(field.name)\" must be \(expected)"
            return inFilter ? .invalidQuery(reason) : .invalidPayload(reason)
        }
        if case .null = value { return .null }
        switch field.kind {
        case .json:
            return .text(String(decoding: value.serialized(), as: UTF8.self))
        case .boolean:
            if let b = value.boolValue { return .boolean(b) }
            if inFilter, let s = value.stringValue, ["true", "false"].contains(s) { return .boolean(s == "true") }
            throw wrong("a boolean")
        case .integer, .bigInteger:
            if case .int(let i) = value { return .integer(i) }
            if case .double(let d) = value, let i = Int64(exactly: d) { return .integer(i) }
            if let s = value.stringValue, let i = Int64(s) { return .integer(i) }
            throw wrong("an integer")
        case .float:
            if case .int(let i) = value { return .double(Double(i)) }
            if case .double(let d) = value { return .double(d) }
            if let s = value.stringValue, let d = Double(s) { return .double(d) }
            throw wrong("a number")
        case .uuid:
            guard let s = value.stringValue, UUID(uuidString: s) != nil else { throw wrong("a UUID") }
            return .text(s.lowercased())
        case .string, .text, .timestamp:
            switch value {
            case .string(let s): return .text(s)
            case .int(let i) where inFilter: return .text(String(i))
            default: throw wrong("a string")
            }
        }
    }
}
