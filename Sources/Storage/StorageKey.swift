/// Which keys a location holds: relative paths of plain segments. One rule for every driver, so that no key —
/// given by Depot or by a caller (a renamed `filename_disk`) — reaches outside its location.
public enum StorageKey {
    /// False for an empty or absolute key, a NUL or backslash, and `.`, `..` or empty segments.
    public static func isValid(_ key: String) -> Bool {
        !key.isEmpty && !key.hasPrefix("/") && !key.contains("\0") && !key.contains("\\")
            && !key.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == ".." || $0 == "." || $0.isEmpty }
    }
}
