import CCurl

/// libcurl, initialised once per process before any thread uses it (S3 and imports run on it).
public enum CurlRuntime {
    /// Initialises libcurl; returns its version.
    public static func start() throws -> String {
        guard curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK else {
            throw StorageError.unavailable("libcurl did not initialise")
        }
        return String(cString: depot_curl_version())
    }
}
