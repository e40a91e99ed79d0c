import CMS
import Crypto
import Foundation
import Hummingbird
import Storage

/// The response cache's key of a request: method, path, the query normalised (parameters decoded and sorted,
/// `access_token` left out — who calls is in the fingerprint), the body's hash for SEARCH, and the fingerprint
/// of the caller's permissions. A query that names the caller (`$CURRENT_USER`, `$CURRENT_ROLE`) adds the
/// caller's ids; a query on the time (`$NOW`) has no key: it is not cached.
enum CacheKey {
    static func make(method: String, path: String, query: String?, body: [UInt8]?, fingerprint: String, caller: Accountability) -> String? {
        let parameters = normalisedQuery(query)
        var text = [method, path, parameters.map { "\($0.0)=\($0.1)" }.joined(separator: "&"), fingerprint].joined(separator: "\n")
        let dynamic = parameters.map(\.1).joined() + (body.map { String(decoding: $0, as: UTF8.self) } ?? "")
        if dynamic.containsBytes("$NOW") { return nil }
        if dynamic.containsBytes("$CURRENT_") { text += "\n\(caller.user ?? "")|\(caller.role ?? "")" }
        if let body { text += "\n" + Hex.encode(SHA256.hash(data: body)) }
        return Hex.encode(SHA256.hash(data: Array(text.utf8)))
    }

    /// Decoded `name=value` pairs in a stable order.
    static func normalisedQuery(_ query: String?) -> [(String, String)] {
        QueryString.pairs(query).filter { $0.0 != "access_token" }.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
    }
}
