import Foundation

/// Directus's notations for durations (the `ms` package) and sizes (the `bytes` package).
public enum ValueParsers {
    private static let durationUnits: [String: Double] = [
        "ms": 0.001, "msec": 0.001, "msecs": 0.001, "millisecond": 0.001, "milliseconds": 0.001,
        "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
        "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
        "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
        "d": 86400, "day": 86400, "days": 86400,
        "w": 604_800, "week": 604_800, "weeks": 604_800,
        "y": 31_557_600, "yr": 31_557_600, "yrs": 31_557_600, "year": 31_557_600, "years": 31_557_600,
    ]

    /// Seconds; a bare number is milliseconds, as in `ms`.
    public static func duration(_ text: String) -> Double? {
        guard let (number, unit) = split(text) else { return nil }
        if unit.isEmpty { return number / 1000 }
        return durationUnits[unit].map { number * $0 }
    }

    private static let byteUnits: [String: Double] = [
        "b": 1, "kb": 1024, "mb": 1_048_576, "gb": 1_073_741_824, "tb": 1_099_511_627_776, "pb": 1_125_899_906_842_624,
    ]

    /// Bytes (1 kb = 1024 b, as in `bytes`); a bare number is bytes.
    public static func bytes(_ text: String) -> Int? {
        guard let (number, unit) = split(text) else { return nil }
        guard let factor = unit.isEmpty ? 1 : byteUnits[unit] else { return nil }
        let value = (number * factor).rounded(.down)
        return value < Double(Int.max) ? Int(value) : nil
    }

    /// "1.5 hours" → (1.5, "hours").
    private static func split(_ text: String) -> (Double, String)? {
        let s = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let end = s.firstIndex(where: { !($0.isNumber || $0 == "." || $0 == "-") }) ?? Optional(s.endIndex) else { return nil }
        guard let number = Double(s[..<end]), number.isFinite else { return nil }
        return (number, s[end...].trimmingCharacters(in: .whitespaces))
    }
}
