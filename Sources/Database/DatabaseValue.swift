import Foundation

/// A value bound to, or read from, a SQL statement. Values always travel as bound parameters.
public enum DatabaseValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
    case boolean(Bool)

    public var isNull: Bool { if case .null = self { true } else { false } }

    public var string: String? {
        switch self {
        case .text(let s): s
        case .integer(let i): String(i)
        case .double(let d): String(d)
        case .boolean(let b): b ? "true" : "false"
        case .null, .blob: nil
        }
    }

    public var int: Int? {
        switch self {
        case .integer(let i): Int(exactly: i)
        case .double(let d): Int(exactly: d)
        case .text(let s): Int(s)
        case .boolean(let b): b ? 1 : 0
        case .null, .blob: nil
        }
    }

    public var double: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .double(let d): d
        case .text(let s): Double(s)
        default: nil
        }
    }

    /// Booleans come back as 0/1 from SQLite and as `t`/`f` from PostgreSQL.
    public var bool: Bool? {
        switch self {
        case .boolean(let b): b
        case .integer(let i): i != 0
        case .text(let s): ["t", "true", "1"].contains(s.lowercased()) ? true : (["f", "false", "0"].contains(s.lowercased()) ? false : nil)
        default: nil
        }
    }
}

extension DatabaseValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(nilLiteral: ()) { self = .null }
}

extension DatabaseValue {
    /// `nil` becomes SQL NULL.
    public static func optional(_ value: String?) -> DatabaseValue { value.map { .text($0) } ?? .null }

    /// Timestamps are stored as ISO 8601 UTC text in SQLite and bound as text to `timestamptz` in PostgreSQL.
    public static func timestamp(_ date: Date) -> DatabaseValue { .text(ISO8601.string(from: date)) }
}

/// ISO 8601 with milliseconds, as Directus returns timestamps.
public enum ISO8601 {
    public static func string(from date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted))
    }

    /// Accepts `2026-11-22T15:37:12.123Z`, `2026-11-22 15:37:12.123+00` (PostgreSQL's text form), without fractions,
    /// and the forms a database Directus wrote on SQLite holds: milliseconds since 1970 (Directus binds dates as
    /// numbers there) and `2026-11-22 15:37:12` (the `CURRENT_TIMESTAMP` default, UTC without a zone).
    public static func date(from text: String) -> Date? {
        if let milliseconds = Int64(text) { return Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
        var s = text.replacingOccurrences(of: " ", with: "T")
        if s.hasSuffix("+00") { s = String(s.dropLast(3)) + "Z" }
        if s.count >= 19, !s.dropFirst(19).contains(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) { s += "Z" }
        if let d = try? Date(s, strategy: .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted)) { return d }
        return try? Date(s, strategy: .iso8601)
    }
}
