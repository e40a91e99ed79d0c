import Foundation

/// The variables Depot reads: the process environment, overridden by the config file (`CONFIG_PATH`,
/// default `./.env`, as Directus does), with `NAME_FILE=/path` reading `NAME` from a file.
public struct EnvironmentSource: Sendable {
    public private(set) var values: [String: String]

    public init(values: [String: String]) { self.values = values }

    /// Loads the process environment and the config file.
    public static func load(process: [String: String] = ProcessInfo.processInfo.environment) throws -> EnvironmentSource {
        var values = process
        let explicit = process["CONFIG_PATH"]
        let path = explicit ?? ".env"
        if FileManager.default.fileExists(atPath: path) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigurationError("CONFIG_PATH", "cannot read \"\(path)\"")
            }
            for (key, value) in try parseDotEnv(text) { values[key] = value }
        } else if let explicit {
            throw ConfigurationError("CONFIG_PATH", "file \"\(explicit)\" does not exist")
        }
        for (key, path) in values where key.hasSuffix("_FILE") && isDepotVariable(String(key.dropLast(5))) {
            let name = String(key.dropLast(5))
            guard let content = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigurationError(key, "cannot read file \"\(path)\"")
            }
            values[name] = content.trimmingCharacters(in: .newlines)
        }
        return EnvironmentSource(values: values)
    }

    static let knownNames: Set<String> = ["HOST", "PORT", "PUBLIC_URL", "KEY", "SECRET", "LOG_LEVEL", "LOG_STYLE",
                                          "MAX_PAYLOAD_SIZE", "ACCESS_TOKEN_TTL", "REFRESH_TOKEN_TTL", "REDIS"]
    static let knownPrefixes = ["DB_", "ADMIN_", "STORAGE_", "REDIS_", "CACHE_", "RATE_LIMITER_", "HASH_", "CORS_",
                                "REFRESH_TOKEN_", "SESSION_", "ASSETS_", "FILES_", "EMAIL_", "AUTH_", "IMPORT_", "COMPRESSION_"]

    /// `NAME_FILE` is honoured only for Depot's own variables, as Directus does, so unrelated `*_FILE`
    /// variables of the host environment are left alone.
    static func isDepotVariable(_ name: String) -> Bool {
        knownNames.contains(name) || knownPrefixes.contains { name.hasPrefix($0) && name.count > $0.count }
    }

    /// `KEY=value` lines; `#` comments, `export ` prefixes, single or double quotes.
    static func parseDotEnv(_ text: String) throws -> [(String, String)] {
        var out: [(String, String)] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let eq = line.firstIndex(of: "=") else {
                throw ConfigurationError("CONFIG_PATH", "line \(number + 1) is not KEY=value")
            }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
                if first == "\"" { value = value.replacingOccurrences(of: "\\n", with: "\n") }
            } else if let hash = value.range(of: " #") {
                value = value[..<hash.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            out.append((key, value))
        }
        return out
    }

    /// The value, with Directus's type prefixes (`string:`, `number:`, …) removed; empty counts as unset.
    public subscript(_ name: String) -> String? {
        guard var value = values[name], !value.isEmpty else { return nil }
        for prefix in ["string:", "number:", "boolean:", "regex:", "json:", "array:"] where value.hasPrefix(prefix) {
            value = String(value.dropFirst(prefix.count))
        }
        return value
    }

    public func string(_ name: String, default fallback: String) -> String { self[name] ?? fallback }

    public func bool(_ name: String, default fallback: Bool) throws -> Bool {
        guard let value = self[name] else { return fallback }
        switch value.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigurationError(name, "must be true or false (got \"\(value)\")")
        }
    }

    public func int(_ name: String, default fallback: Int, range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        guard let value = self[name] else { return fallback }
        guard let number = Int(value), range.contains(number) else {
            throw ConfigurationError(name, "must be a whole number in \(range.lowerBound)…\(range.upperBound) (got \"\(value)\")")
        }
        return number
    }

    /// Seconds, from Directus's `ms` notation (`15m`, `7d`, `2 hours`, or plain milliseconds).
    public func duration(_ name: String, default fallback: Double) throws -> Double {
        guard let value = self[name] else { return fallback }
        guard let seconds = ValueParsers.duration(value), seconds >= 0 else {
            throw ConfigurationError(name, "must be a duration such as 15m, 7d or 500 (ms) (got \"\(value)\")")
        }
        return seconds
    }

    /// Bytes, from `bytes` notation (`1mb`, `500kb`, or plain bytes).
    public func bytes(_ name: String, default fallback: Int) throws -> Int {
        guard let value = self[name] else { return fallback }
        guard let bytes = ValueParsers.bytes(value), bytes >= 0 else {
            throw ConfigurationError(name, "must be a size such as 1mb, 500kb or 1024 (got \"\(value)\")")
        }
        return bytes
    }

    public func list(_ name: String) -> [String]? {
        self[name].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }
}
