import CMS
import Foundation
import Hummingbird
import NIOCore
import Storage

/// `/assets/:id` and `/assets/:id/:filename`: the original, streamed from its location, with the validators,
/// ranges and cache headers a CDN in front of Depot relies on.
struct AssetsController {
    let files: FilesService
    let cacheTTL: Double

    func register(on router: Router<DepotRequestContext>) {
        for path: RouterPath in ["/assets/:id", "/assets/:id/:filename"] {
            router.get(path) { request, context in try await serve(request, context, includeBody: true) }
            router.head(path) { request, context in try await serve(request, context, includeBody: false) }
        }
    }

    func serve(_ request: Request, _ context: DepotRequestContext, includeBody: Bool) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let source = try await files.asset(id) else { throw CMSError.forbidden }
        guard let object = try await source.driver.stat(source.key) else { throw CMSError.forbidden }

        var headers = AssetHeaders.make(source: source, object: object, download: request.uri.queryParameters["download"] != nil,
                                        anonymous: context.accountability.user == nil, cacheTTL: cacheTTL)
        if AssetHeaders.notModified(request.headers, object: object) {
            return Response(status: .notModified, headers: headers)
        }
        var range = ByteRange.parse(request.headers[.range], size: object.size)
        if let ifRange = request.headers[.ifRange], !AssetHeaders.matches(ifRange: ifRange, object: object) { range = .whole }
        let status: HTTPResponse.Status
        let bytes: ClosedRange<Int64>?
        switch range {
        case .whole:
            status = .ok
            bytes = nil
        case .part(let part):
            status = .partialContent
            bytes = part
            headers[.contentRange] = "bytes \(part.lowerBound)-\(part.upperBound)/\(object.size)"
        case .unsatisfiable:
            var response = ErrorEnvelope.response(CMSError(code: "RANGE_NOT_SATISFIABLE", status: 416, message: "Range Not Satisfiable."))
            response.headers[.contentRange] = "bytes */\(object.size)"
            return response
        }
        let length = bytes.map { $0.count } ?? Int(object.size)
        headers[.contentLength] = String(length)
        guard includeBody, length > 0 else { return Response(status: status, headers: headers) }
        guard let stream = try await source.driver.read(source.key, range: bytes) else { throw CMSError.forbidden }
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: length) { writer in
            for try await chunk in stream { try await writer.write(chunk) }
            try await writer.finish(nil)
        })
    }
}

/// The response headers of an asset and the conditional-request checks.
enum AssetHeaders {
    static func make(source: AssetSource, object: StoredObject, download: Bool, anonymous: Bool, cacheTTL: Double) -> HTTPFields {
        let type = source.type ?? object.contentType ?? "application/octet-stream"
        var headers: HTTPFields = [
            .contentType: type,
            .acceptRanges: "bytes",
            .eTag: object.etag,
            .lastModified: HTTPDate.format(object.lastModified),
            .cacheControl: "\(anonymous ? "public" : "private"), max-age=\(Int(cacheTTL))",
            .contentDisposition: disposition(download ? "attachment" : "inline", filename: source.filenameDownload),
        ]
        headers[.xContentTypeOptions] = "nosniff"
        // Markup a browser would execute must not run in the API's origin.
        if type.contains("html") || type.contains("xml") || type.contains("svg") || type.contains("javascript") {
            headers[.contentSecurityPolicy] = "sandbox"
        }
        return headers
    }

    /// `If-None-Match` wins over `If-Modified-Since` (RFC 9110 §13.2.2).
    static func notModified(_ headers: HTTPFields, object: StoredObject) -> Bool {
        if let ifNoneMatch = headers[.ifNoneMatch] {
            let tags = ifNoneMatch.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return tags.contains("*") || tags.contains { weakless($0) == weakless(object.etag) }
        }
        if let since = headers[.ifModifiedSince].flatMap(HTTPDate.parse) {
            return object.lastModified.timeIntervalSince1970.rounded(.down) <= since.timeIntervalSince1970
        }
        return false
    }

    /// `If-Range` holds a strong ETag or a date; the range applies only when it still describes the object.
    static func matches(ifRange: String, object: StoredObject) -> Bool {
        let value = ifRange.trimmingCharacters(in: .whitespaces)
        if value.hasPrefix("\"") { return value == object.etag }
        if let date = HTTPDate.parse(value) { return object.lastModified.timeIntervalSince1970.rounded(.down) <= date.timeIntervalSince1970 }
        return false
    }

    static func weakless(_ tag: String) -> String { tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag }

    /// `inline; filename="photo.jpg"; filename*=UTF-8''ph%C3%B6to.jpg`
    static func disposition(_ kind: String, filename: String) -> String {
        let ascii = String(filename.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0 != "\\" && $0.value >= 0x20 ? Character($0) : "_" })
        let encoded = filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ascii
        return "\(kind); filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }
}

extension HTTPFields.Element.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
}
