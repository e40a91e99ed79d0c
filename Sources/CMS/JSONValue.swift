import Foundation

/// A JSON document: request payloads and response data whose shape follows the schema, not a Swift type.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue], keys: [String])

    /// An object that keeps its keys in the given order (Directus answers list fields in query order).
    public static func object(_ pairs: [(String, JSONValue)]) -> JSONValue {
        var dict: [String: JSONValue] = [:]
        var keys: [String] = []
        for (k, v) in pairs {
            if dict.updateValue(v, forKey: k) == nil { keys.append(k) }
        }
        return .object(dict, keys: keys)
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let dict, _) = self { return dict[key] }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var arrayItems: [JSONValue]? { if case .array(let items) = self { items } else { nil } }
    public var isNull: Bool { if case .null = self { true } else { false } }
    public var objectKeys: [String]? { if case .object(_, let keys) = self { keys } else { nil } }
}

extension JSONValue: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let i = try? container.decode(Int64.self) { self = .int(i) }
        else if let d = try? container.decode(Double.self) { self = .double(d) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let a = try? container.decode([JSONValue].self) { self = .array(a) }
        else {
            let nested = try decoder.container(keyedBy: AnyKey.self)
            // Key order of the source document is not exposed by Decoder; sort for a stable order.
            let keys = nested.allKeys.map(\.stringValue).sorted()
            var dict: [String: JSONValue] = [:]
            for key in keys { dict[key] = try nested.decode(JSONValue.self, forKey: AnyKey(key)) }
            self = .object(dict, keys: keys)
        }
    }

    private struct AnyKey: CodingKey {
        let stringValue: String
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    /// Parses a JSON document; the error text is safe to show to the caller.
    public static func parse(_ bytes: some Collection<UInt8>) throws(CMSError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw CMSError.invalidPayload("Body is not valid JSON")
        }
    }
}

extension JSONValue {
    /// Serialises to compact JSON text (UTF-8).
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return out
    }

    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            if d.isFinite {
                if d == d.rounded(), abs(d) < 1e15 { out.append(contentsOf: String(Int64(d)).utf8) }
                else { out.append(contentsOf: "\(d)".utf8) }
            } else { out.append(contentsOf: "null".utf8) }
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let dict, let keys):
            out.append(UInt8(ascii: "{"))
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                (dict[key] ?? .null).write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue {
    /// `self` with `other`'s keys set over it (objects; anything else is replaced by `other` unless it is null).
    func merging(_ other: JSONValue) -> JSONValue {
        guard case .object(var dict, var keys) = self else { return other.isNull ? self : other }
        guard case .object(let changes, let changed) = other else { return self }
        for key in changed {
            if dict[key] == nil { keys.append(key) }
            dict[key] = changes[key]
        }
        return .object(dict, keys: keys)
    }
}
