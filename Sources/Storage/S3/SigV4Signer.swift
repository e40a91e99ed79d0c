import Crypto
import Foundation

/// AWS Signature Version 4 for requests whose headers carry the signature (`Authorization`).
public struct SigV4Signer: Sendable {
    public let accessKey: String
    public let secretKey: String
    public let region: String
    public let service: String

    public init(accessKey: String, secretKey: String, region: String, service: String) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.region = region
        self.service = service
    }

    /// SHA-256 of an empty payload, hex.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Returns `headers` plus `x-amz-date` and `Authorization`. `path` is the URI path as sent (already
    /// percent-encoded), `query` the decoded query items, `payloadHash` the hex SHA-256 of the body or
    /// `UNSIGNED-PAYLOAD`. Every given header is signed; `host` must be among them.
    public func sign(method: String, path: String, query: [(String, String)], headers: [(String, String)],
                     payloadHash: String, date: Date) -> [(String, String)] {
        let (amzDate, day) = Self.timestamps(date)
        var all = headers
        all.append(("X-Amz-Date", amzDate))
        // Names lower-cased, values trimmed with inner runs of spaces folded, duplicates joined by commas.
        var canonical: [String: [String]] = [:]
        for (name, value) in all {
            let folded = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            canonical[name.lowercased(), default: []].append(folded)
        }
        let names = canonical.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(canonical[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let encoded: [(String, String)] = query.map { (Self.encode($0.0), Self.encode($0.1)) }
        let sorted = encoded.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        let canonicalQuery = sorted.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let uri: String = path.isEmpty ? "/" : path
        let parts: [String] = [method, uri, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash]
        let canonicalRequest = parts.joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, Hex.encode(SHA256.hash(data: Data(canonicalRequest.utf8)))]
            .joined(separator: "\n")
        let signature = Hex.encode(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey(day: day)))
        all.append(("Authorization", "AWS4-HMAC-SHA256 Credential=\(accessKey)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"))
        return all
    }

    private func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(secretKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    /// `20150830T123600Z` and `20150830`.
    static func timestamps(_ date: Date) -> (String, String) {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let stamp = formatter.string(from: date)
        return (stamp, String(stamp.prefix(8)))
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters (and `/` when `keepSlash`).
    public static func encode(_ value: String, keepSlash: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
