extension StringProtocol {
    /// Whether this is a UUID in its 36-character text form (either case), as `UUID(uuidString:)` accepts —
    /// checked without Foundation's parser, which goes through `sscanf` (1 % of a small `/assets` request).
    var isUUIDText: Bool {
        var count = 0
        for byte in utf8 {
            switch count {
            case 8, 13, 18, 23: guard byte == UInt8(ascii: "-") else { return false }
            default:
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20) else { return false }
            }
            count += 1
            if count > 36 { return false }
        }
        return count == 36
    }
}
