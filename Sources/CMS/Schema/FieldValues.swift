import Database
import Foundation

/// Conversion between JSON values and database values, by field type, in Directus's JSON shapes:
/// `date` → `YYYY-MM-DD`, `time` → `HH:mm:ss`, `dateTime` → `YYYY-MM-DDTHH:mm:ss`, `timestamp` → ISO 8601 UTC,
/// `decimal` → a string with the field's scale (exact), `json` parsed, `csv` split, `conceal` masked.
enum FieldValues {
    static let concealed: JSONValue = "**********"

    static func json(_ value: DatabaseValue, _ field: FieldSchema) -> JSONValue {
        if value.isNull { return .null }
        if field.has("conceal") { return concealed }
        switch field.type {
        case .boolean: return value.bool.map(JSONValue.bool) ?? .null
        case .integer, .bigInteger: return value.int.map { .int(Int64($0)) } ?? value.string.map(JSONValue.string) ?? .null
        case .float:
            if case .double(let d) = value { return .double(d) }
            return value.double.map(JSONValue.double) ?? .null
        case .decimal:
            guard let number = value.string.flatMap({ Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }) else { return .null }
            return .string(decimalText(number, scale: field.scale ?? 5))
        case .json:
            guard let text = value.string else { return .null }
            return (try? JSONValue.parse(Array(text.utf8))) ?? .string(text)
        case .csv:
            guard let text = value.string else { return .null }
            return .array(text.isEmpty ? [] : text.split(separator: ",", omittingEmptySubsequences: false).map { .string(String($0)) })
        case .date: return value.string.map { .string(String($0.prefix(10))) } ?? .null
        case .time: return value.string.map { .string(String($0.prefix(8))) } ?? .null
        case .dateTime:
            // Directus on SQLite binds dates as milliseconds since 1970.
            if case .integer = value, let date = value.string.flatMap(ISO8601.date(from:)) {
                return .string(String(ISO8601.string(from: date).prefix(19)))
            }
            return value.string.map { .string(String($0.replacingOccurrences(of: " ", with: "T").prefix(19))) } ?? .null
        case .timestamp:
            guard let text = value.string else { return .null }
            return .string(ISO8601.date(from: text).map(ISO8601.string(from:)) ?? text)
        case .uuid, .string, .text, .hash, .alias, .unknown:
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
        // PostgreSQL can't store NUL in text and SQLite would cut C strings at it: refused on both alike.
        if case .string(let text) = value, text.contains("\u{0}") { throw wrong("text without NUL characters") }
        switch field.type {
        case .json:
            if inFilter, let s = value.stringValue { return .text(s) }
            return .text(String(decoding: value.serialized(), as: UTF8.self))
        case .csv:
            if case .array(let items) = value {
                return .text(items.map { $0.stringValue ?? String(decoding: $0.serialized(), as: UTF8.self) }.joined(separator: ","))
            }
            guard let s = value.stringValue else { throw wrong("an array or a comma-separated string") }
            return .text(s)
        case .boolean:
            if let b = value.boolValue { return .boolean(b) }
            if case .int(let i) = value, i == 0 || i == 1 { return .boolean(i == 1) }
            if let s = value.stringValue, ["true", "false", "1", "0"].contains(s) { return .boolean(s == "true" || s == "1") }
            throw wrong("a boolean")
        case .integer, .bigInteger:
            if case .int(let i) = value { return try ranged(i, field, wrong) }
            if case .double(let d) = value, let i = Int64(exactly: d) { return try ranged(i, field, wrong) }
            if let s = value.stringValue, let i = Int64(s) { return try ranged(i, field, wrong) }
            throw wrong("an integer")
        case .float:
            if case .int(let i) = value { return .double(Double(i)) }
            if case .double(let d) = value { return .double(d) }
            if let s = value.stringValue, let d = Double(s), d.isFinite { return .double(d) }
            throw wrong("a number")
        case .decimal:
            let text: String
            switch value {
            case .int(let i): text = String(i)
            case .double(let d): text = String(d)
            case .string(let s): text = s
            default: throw wrong("a number")
            }
            guard let number = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), number.isFinite,
                  text.allSatisfy({ "0123456789.-+eE".contains($0) }) else { throw wrong("a number") }
            // Stored as text in the scale, so both dialects compare and return it exactly.
            return .text(decimalText(number, scale: field.scale ?? 5))
        case .uuid:
            guard let s = value.stringValue, UUID(uuidString: s) != nil else { throw wrong("a UUID") }
            return .text(s.lowercased())
        case .date:
            guard let s = value.stringValue, let date = ISO8601.day(s) else { throw wrong("a date (YYYY-MM-DD)") }
            return .text(date)
        case .time:
            guard let s = value.stringValue, let time = ISO8601.timeOfDay(s) else { throw wrong("a time (HH:mm:ss)") }
            return .text(time)
        case .dateTime:
            guard let s = value.stringValue, let local = ISO8601.localDateTime(s) else { throw wrong("a date-time (YYYY-MM-DDTHH:mm:ss)") }
            return .text(local)
        case .timestamp:
            guard let s = value.stringValue, ISO8601.localDateTime(s) != nil,
                  let date = ISO8601.date(from: s) ?? ISO8601.localDateTime(s).flatMap({ ISO8601.date(from: $0 + "Z") }) else {
                throw wrong("an ISO 8601 timestamp")
            }
            return .text(ISO8601.string(from: date))
        case .string, .text, .hash, .alias, .unknown:
            switch value {
            case .string(let s): return .text(s)
            case .int(let i): return .text(String(i))
            case .double(let d) where inFilter: return .text(String(d))
            case .bool(let b) where inFilter: return .text(String(b))
            default: throw wrong("a string")
            }
        }
    }

    private static func ranged(_ value: Int64, _ field: FieldSchema, _ wrong: (String) -> CMSError) throws(CMSError) -> DatabaseValue {
        if field.type == .integer, !(Int64(Int32.min)...Int64(Int32.max)).contains(value) {
            throw CMSError(code: "VALUE_OUT_OF_RANGE", status: 400,
                           message: "Numeric value for field \"\(field.name)\" is out of range.", extensions: ["field": field.name])
        }
        return .integer(value)
    }

    static func decimalText(_ number: Decimal, scale: Int) -> String {
        var value = number, rounded = Decimal()
        NSDecimalRound(&rounded, &value, scale, .plain)
        // Decimal's description is plain digits ("9.5", "-12"): pad the fraction to the scale.
        let parts = "\(rounded)".split(separator: ".", maxSplits: 1)
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        guard scale > 0 else { return String(parts[0]) }
        return "\(parts[0]).\(fraction)\(String(repeating: "0", count: max(0, scale - fraction.count)))"
    }
}

extension ISO8601 {
    /// `YYYY-MM-DD` from a date or date-time text.
    /// Only days that exist: Foundation's parser would roll `2024-02-30` over into March, which PostgreSQL refuses.
    static func day(_ text: String) -> String? {
        let day = String(text.prefix(10))
        let parts = day.split(separator: "-", omittingEmptySubsequences: false)
        guard day.utf8.count == 10, parts.count == 3, parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let year = Int(parts[0]), let month = Int(parts[1]), let date = Int(parts[2]), year >= 1, (1...12).contains(month) else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(date) ? day : nil
    }

    /// `HH:mm:ss` from `HH:mm`, `HH:mm:ss` or `HH:mm:ss.sss`.
    static func timeOfDay(_ text: String) -> String? {
        let parts = text.prefix(8).split(separator: ":").map { Int($0) }
        guard parts.count >= 2, parts.count <= 3, parts.allSatisfy({ $0 != nil }), parts[0]! < 24, parts[1]! < 60, (parts.count == 2 ? 0 : parts[2]!) < 60 else { return nil }
        return String(format: "%02d:%02d:%02d", parts[0]!, parts[1]!, parts.count == 3 ? parts[2]! : 0)
    }

    /// `YYYY-MM-DDTHH:mm:ss` (no zone) from a date-time text; a zone, if given, is dropped as Directus does.
    static func localDateTime(_ text: String) -> String? {
        let s = text.replacingOccurrences(of: " ", with: "T")
        guard s.count >= 10, let day = day(s) else { return nil }
        if s.count == 10 { return day + "T00:00:00" }
        guard s.count >= 16, s[s.index(s.startIndex, offsetBy: 10)] == "T",
              let time = timeOfDay(String(s.dropFirst(11).prefix(8))) else { return nil }
        return day + "T" + time
    }
}
