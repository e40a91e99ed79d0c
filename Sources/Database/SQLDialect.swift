/// The SQL flavours Depot speaks. Statements are written with `?` placeholders; each driver renders them.
public enum SQLDialect: String, Sendable, CaseIterable {
    case sqlite
    case postgres

    /// Quotes an identifier that has already been checked against the schema.
    public func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
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
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var index = 0
        var quote: Character? = nil
        for ch in sql {
            if let q = quote {
                if ch == q { quote = nil }
                out.append(ch)
            } else if ch == "'" || ch == "\"" {
                quote = ch
                out.append(ch)
            } else if ch == "?" {
                index += 1
                out += "$\(index)"
            } else {
                out.append(ch)
            }
        }
        return out
    }
}
