/// A URL's query decoded as browsers' forms, Python's `requests` and Express (so Directus) do: pairs split on `&`
/// and the first `=`, `+` read as a space, then percent-decoding. A pair whose escapes are malformed or not UTF-8
/// keeps its text (with `+` still read as a space), as Express's `qs` does, rather than failing the request.
enum QueryString {
    /// Every `name=value` pair in order, repeated names included; empty pairs (`a&&b`) are skipped.
    static func pairs(_ query: String?) -> [(String, String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.utf8.split(separator: UInt8(ascii: "&")).map { pair in
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { return (decode(pair), "") }
            return (decode(pair[..<equals]), decode(pair[pair.index(after: equals)...]))
        }
    }

    /// One name or value: `+` is a space, `%XX` a byte.
    static func decode(_ text: Substring.UTF8View) -> String {
        guard text.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else { return String(Substring(text)) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var plain: [UInt8] = []
        plain.reserveCapacity(text.count)
        var malformed = false
        var index = text.startIndex
        while index != text.endIndex {
            let byte = text[index]
            index = text.index(after: index)
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " ")); plain.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                plain.append(byte)
                guard index != text.endIndex, let high = hexValue(text[index]) else { malformed = true; continue }
                let next = text.index(after: index)
                guard next != text.endIndex, let low = hexValue(text[next]) else { malformed = true; continue }
                bytes.append(high << 4 | low)
                plain.append(text[index]); plain.append(text[next])
                index = text.index(after: next)
            default:
                bytes.append(byte); plain.append(byte)
            }
        }
        if !malformed, let decoded = String(validating: bytes, as: UTF8.self) { return decoded }
        return String(decoding: plain, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
