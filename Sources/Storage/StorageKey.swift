/// Which keys a location holds: relative paths of plain segments. One rule for every driver, so that no key —
/// given by Depot or by a caller (a renamed `filename_disk`) — reaches outside its location.
public enum StorageKey {
    /// False for an empty or absolute key, a NUL or backslash, and `.`, `..` or empty segments.
    /// One pass over the bytes: every asset request checks its key.
    public static func isValid(_ key: String) -> Bool {
        var segment = 0, dots = 0
        for byte in key.utf8 {
            switch byte {
            case 0, UInt8(ascii: "\\"): return false
            case UInt8(ascii: "/"):
                if segment == 0 || segment == dots && dots <= 2 { return false }
                segment = 0; dots = 0
            case UInt8(ascii: "."):
                segment += 1; dots += 1
            default:
                segment += 1
            }
        }
        return segment > 0 && !(segment == dots && dots <= 2)
    }
}
