import Assets
import CMS
import Foundation
import Hummingbird
import NIOCore
import Storage

/// `/assets/:id` and `/assets/:id/:filename`: the original, or a transformed derivative, streamed with the
/// validators, ranges and cache headers a CDN in front of Depot relies on.
struct AssetsController {
    let files: FilesService
    let settings: SettingsService
    let transformer: AssetTransformer
    let storage: StorageLocations
    let cacheTTL: Double

    func register(on router: Router<DepotRequestContext>) {
        for path: RouterPath in ["/assets/:id", "/assets/:id/:filename"] {
            router.get(path) { request, context in try await serve(request, context, includeBody: true) }
            router.head(path) { request, context in try await serve(request, context, includeBody: false) }
        }
    }

    func serve(_ request: Request, _ context: DepotRequestContext, includeBody: Bool) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let source = try await files.asset(id, accountability: context.accountability) else { throw CMSError.forbidden }
        let query = request.queryParameters
        let reply = Reply(request: request, includeBody: includeBody, download: query["download"] != nil,
                          anonymous: context.accountability.user == nil,
                          filename: context.parameters.get("filename").map { $0.removingPercentEncoding ?? $0 } ?? source.filenameDownload)
        if let (input, options) = try await transform(source, query: query) {
            let accept = request.headers[.accept]
            if let derivative = try await transformer.derivative(input, options: options, accept: accept) {
                do {
                    return try await respond(derivative, reply)
                } catch MissingDerivative.gone {
                    // Recorded, but removed from storage behind Depot's back: make it again.
                    try await transformer.forget(derivative.record)
                    guard let remade = try await transformer.derivative(input, options: options, accept: accept) else { throw CMSError.forbidden }
                    return try await respond(remade, reply)
                }
            }
        }
        guard let object = try await source.driver.stat(source.key) else { throw CMSError.forbidden }
        let headers = reply.headers(type: source.type ?? object.contentType ?? "application/octet-stream", object: object, cacheTTL: cacheTTL)
        return try await AssetResponse.make(request, headers: headers, object: object, includeBody: includeBody) { range in
            try await source.driver.read(source.key, range: range)
        }
    }

    /// What every answer to one request shares.
    struct Reply {
        let request: Request
        let includeBody: Bool
        let download: Bool
        let anonymous: Bool
        let filename: String

        func headers(type: String, object: StoredObject, cacheTTL: Double) -> HTTPFields {
            AssetHeaders.make(type: type, filename: filename, object: object, download: download, anonymous: anonymous, cacheTTL: cacheTTL)
        }
    }

    private enum MissingDerivative: Error { case gone }

    private func respond(_ derivative: Derivative, _ reply: Reply) async throws -> Response {
        var headers = reply.headers(type: derivative.record.type, object: derivative.object, cacheTTL: cacheTTL)
        if derivative.varyAccept { headers[.vary] = "Accept" }
        headers[.serverTiming] = AssetHeaders.timing(derivative)
        let driver = try storage.driver(derivative.record.storage)
        return try await AssetResponse.make(reply.request, headers: headers, object: derivative.object, includeBody: reply.includeBody) { range in
            if let bytes = derivative.bytes { return .bytes(bytes, range: range) }
            guard let stream = try await driver.read(derivative.record.key, range: range) else { throw MissingDerivative.gone }
            return stream
        }
    }

    /// The transform the query asks for, checked against the settings and limits; nil when it asks for none.
    private func transform(_ source: AssetSource, query: [String: String]) async throws -> (TransformSource, TransformOptions)? {
        guard !TransformRequest.parameterNames.isDisjoint(with: query.keys) else { return nil }
        let assetSettings = try AssetSettingsValidation.settings(try await settings.assetTransformSettings(), transformer.configuration)
        guard let options = try TransformRequest.parse(query, settings: assetSettings, limits: transformer.configuration) else { return nil }
        let input = TransformSource(fileID: source.id, storage: source.storage, driver: source.driver, key: source.key,
                                    mediaType: source.type, focalPoint: source.focalPoint.map { FocalPoint(x: $0.x, y: $0.y) })
        return (input, options)
    }
}

/// Conditional requests, ranges and HEAD, the same for originals and derivatives.
enum AssetResponse {
    static func make(_ request: Request, headers: HTTPFields, object: StoredObject, includeBody: Bool,
                     body: @escaping @Sendable (ClosedRange<Int64>?) async throws -> ByteStream?) async throws -> Response {
        var headers = headers
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
        guard let stream = try await body(bytes) else { throw CMSError.forbidden }
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: length) { writer in
            for try await chunk in stream { try await writer.write(chunk) }
            try await writer.finish(nil)
        })
    }
}

/// The response headers of an asset and the conditional-request checks.
enum AssetHeaders {
    static func make(type: String, filename: String, object: StoredObject, download: Bool, anonymous: Bool, cacheTTL: Double) -> HTTPFields {
        var headers: HTTPFields = [
            .contentType: type,
            .acceptRanges: "bytes",
            .eTag: object.etag,
            .lastModified: HTTPDate.format(object.lastModified),
            .cacheControl: "\(anonymous ? "public" : "private"), max-age=\(Int(cacheTTL))",
            .contentDisposition: disposition(download ? "attachment" : "inline", filename: filename),
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

    /// `Server-Timing`: whether the derivative came from storage, from this request's transform, or from one it
    /// waited for (identical concurrent requests share a transform).
    static func timing(_ derivative: Derivative) -> String {
        let ms = String(format: "%.1f", derivative.duration * 1000)
        switch derivative.origin {
        case .stored: return "derivative;desc=\"stored\""
        case .transformed: return "transform;dur=\(ms)"
        case .shared: return "transform-shared;dur=\(ms)"
        }
    }

    static func weakless(_ tag: String) -> String { tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag }

    /// As Express's `content-disposition` writes it: `inline; filename="photo.jpg"` for a printable ASCII name, and
    /// for any other an ASCII fallback (accents dropped, other characters `?`, as Express does past Latin-1) beside
    /// the exact name: `attachment; filename="snow ? day.jpg"; filename*=UTF-8''snow%20%E2%98%83%20day.jpg`. A path in
    /// the name is dropped: only its last component is offered.
    static func disposition(_ kind: String, filename: String) -> String {
        let name = String(filename.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? "")
        let printable = name.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) }
        if printable, name.firstMatch(of: /%[0-9A-Fa-f]{2}/) == nil { return "\(kind); filename=\(quoted(name))" }
        let folded = name.folding(options: [.diacriticInsensitive, .widthInsensitive], locale: nil)
        let fallback = String(folded.unicodeScalars.map { (0x20...0x7E).contains($0.value) ? Character($0) : "?" })
        return "\(kind); filename=\(quoted(fallback)); filename*=UTF-8''\(extValue(name))"
    }

    /// A quoted-string: `"` and `\` escaped.
    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// RFC 8187's value characters (attr-char) as they are, every other UTF-8 byte as `%XX`.
    private static func extValue(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if ("0"..."9").contains(scalar) || ("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar)
                || "!#$&+-.^_`|~".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}

extension HTTPFields.Element.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let serverTiming = Self("Server-Timing")!
}
