import Foundation
import Storage

extension FuzzHarness {
    /// Input, by lines: `<method> [<seconds since 1970>]`, `<path>`, `<query>` (`k=v&k2=v2`, values taken as the
    /// decoded query items), then `<name>: <value>` headers (lines whose name is not an HTTP token are skipped).
    /// Invariants: signing is deterministic and independent of the order of the query items (the canonical query
    /// is sorted) and of headers with distinct names; the Authorization header is well-formed, its signed headers
    /// sorted, lower-case and complete; `encode` leaves only unreserved characters and `%XX`, and decodes back.
    @Sendable public static func sigv4(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.count < 3 { lines.append("") }
        let first = lines[0].split(separator: " ", maxSplits: 1)
        let method = first.first.map(String.init) ?? "GET"
        // Dates AWS would accept: 1970 to 9999.
        let seconds = first.count > 1 ? Double(first[1]).flatMap { $0.isFinite ? min(max($0, 0), 253_402_300_799) : nil } : nil
        let date = Date(timeIntervalSince1970: seconds ?? 1_440_938_160)
        let path = lines[1]
        let query: [(String, String)] = lines[2].split(separator: "&").map { item in
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(pair[0]), pair.count > 1 ? String(pair[1]) : "")
        }
        var headers: [(String, String)] = lines.dropFirst(3).compactMap { line in
            // Header names are HTTP tokens (the driver signs only its own headers).
            guard let colon = line.firstIndex(of: ":"), colon > line.startIndex,
                  line[..<colon].unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "!#$%&'*+-.^_`|~".unicodeScalars.contains($0)) })
            else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...]))
        }
        if !headers.contains(where: { $0.0.lowercased() == "host" }) { headers.append(("Host", "bucket.s3.example.com")) }

        let signer = SigV4Signer(accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                 region: "us-east-1", service: "s3")
        func authorization(_ query: [(String, String)], _ headers: [(String, String)]) -> String {
            let signed = signer.sign(method: method, path: path, query: query, headers: headers,
                                     payloadHash: SigV4Signer.emptyPayloadHash, date: date)
            let values = signed.filter { $0.0 == "Authorization" }.map(\.1)
            require(values.count == 1, "\(values.count) Authorization headers")
            return values[0]
        }
        let signed = authorization(query, headers)
        require(authorization(query, headers) == signed, "signing is not deterministic")
        require(authorization(query.reversed(), headers) == signed, "the canonical query depends on the order of the items")
        if Set(headers.map { $0.0.lowercased() }).count == headers.count {
            require(authorization(query, headers.reversed()) == signed, "the canonical headers depend on their order")
        }

        // AWS4-HMAC-SHA256 Credential=<key>/<day>/<region>/<service>/aws4_request, SignedHeaders=<a;b>, Signature=<hex>
        let parts = signed.components(separatedBy: ", ")
        require(parts.count == 3 && parts[0].hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
                && parts[0].hasSuffix("/us-east-1/s3/aws4_request"), "malformed Authorization: \(signed)")
        let day = parts[0].dropFirst("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/".count).prefix(8)
        require(day.count == 8 && day.allSatisfy(\.isASCII) && day.allSatisfy(\.isNumber), "credential day \(day)")
        require(parts[1].hasPrefix("SignedHeaders=") && parts[2].hasPrefix("Signature="), "malformed Authorization: \(signed)")
        let names = parts[1].dropFirst("SignedHeaders=".count).split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        let expected = Set(headers.map { $0.0.lowercased() } + ["x-amz-date"])
        require(names == names.sorted() && Set(names) == expected && names.count == expected.count, "signed headers \(names)")
        let signature = parts[2].dropFirst("Signature=".count)
        require(signature.count == 64 && signature.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "signature \(signature)")

        for value in [path, lines[2]] {
            for keepSlash in [false, true] {
                let encoded = SigV4Signer.encode(value, keepSlash: keepSlash)
                require(encoded.utf8.allSatisfy { byte in
                    switch byte {
                    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                         UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "%"): true
                    case UInt8(ascii: "/"): keepSlash
                    default: false
                    }
                }, "encode left a reserved character: \(encoded)")
                require(encoded.removingPercentEncoding == value, "encode does not decode back: \(encoded)")
            }
        }
    }
}
