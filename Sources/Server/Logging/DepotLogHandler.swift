import Foundation
import Logging

/// swift-log output: human-readable lines by default, one JSON object per line with `LOG_STYLE=raw`.
public struct DepotLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let raw: Bool
    private let silent: Bool

    public init(label: String, level: Logger.Level, raw: Bool, silent: Bool) {
        self.label = label
        self.logLevel = level
        self.raw = raw
        self.silent = silent
    }

    /// Installs the handler for the whole process.
    public static func bootstrap(_ configuration: DepotConfiguration) {
        LoggingSystem.bootstrap { label in
            DepotLogHandler(label: label, level: configuration.logLevel, raw: configuration.logStyle == .raw,
                            silent: configuration.logSilent)
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        guard !silent else { return }
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let time = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        var line: String
        if raw {
            var pairs: [(String, String)] = [("time", time), ("level", event.level.rawValue), ("msg", event.message.description)]
            pairs += all.sorted { $0.key < $1.key }.map { ($0.key, $0.value.description) }
            line = "{" + pairs.map { "\(Self.quote($0.0)):\(Self.quote($0.1))" }.joined(separator: ",") + "}"
        } else {
            line = "\(time) \(event.level.rawValue.uppercased().padding(toLength: 8, withPad: " ", startingAt: 0))\(event.message)"
            if !all.isEmpty { line += " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    private static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20: out += String(format: "\\u%04x", c.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
