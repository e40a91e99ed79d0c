/// The SQL flavours Depot speaks. Statements are written with `?` placeholders; each driver renders them.
public enum SQLDialect: String, Sendable, CaseIterable {
    case sqlite
    case postgres

    /// Quotes an identifier that has already been checked against the schema.
    public func quote(_ identifier: String) -> String {
        // Called for every identifier of every statement: no Foundation string search on the common path.
        guard identifier.utf8.contains(UInt8(ascii: "\"")) else { return "\"" + identifier + "\"" }
        return "\"" + identifier.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }

    /// Current time as an ISO 8601 UTC value of the dialect's timestamp column type.
    public var now: String {
        switch self {
        case .sqlite: "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
        case .postgres: "CURRENT_TIMESTAMP"
        }
    }
}

/// Turns `?` placeholders into PostgreSQL's `$1, $2, …`, leaving quoted text alone.
enum PlaceholderRewriter {
    static func postgres(_ sql: String) -> String {
        // Works on UTF-8 bytes (`?` and quotes are ASCII, so multi-byte characters pass through untouched).
        var out: [UInt8] = []
        out.reserveCapacity(sql.utf8.count + 16)
        var index = 0
        var quote: UInt8? = nil
        for byte in sql.utf8 {
            if let q = quote {
                if byte == q { quote = nil }
                out.append(byte)
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                quote = byte
                out.append(byte)
            } else if byte == UInt8(ascii: "?") {
                index += 1
                out.append(UInt8(ascii: "$"))
                out.append(contentsOf: String(index).utf8)
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
