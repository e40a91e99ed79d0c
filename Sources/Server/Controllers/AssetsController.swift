import Assets
import CMS
import Foundation
import Hummingbird
import NIOCore
import Storage

/// `/assets/:id` and `/assets/:id/:filename`: the original, or a transformed derivative, sent with the
/// validators, ranges and cache headers a CDN in front of Depot relies on. `AssetService` decides what to send.
struct AssetsController {
    let assets: AssetService
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
        let query = request.queryParameters
        let access = CallerAssetAccess(files: files, caller: context.accountability)
        let filename = context.parameters.get("filename").map { $0.removingPercentEncoding ?? $0 }
        return try await assets.serve(id, query: query, accept: request.headers[.accept], access: access) { representation in
            var headers = AssetHeaders.make(type: representation.type, filename: filename ?? representation.file.filenameDownload,
                                             object: representation.object, download: query["download"] != nil,
                                             anonymous: context.accountability.user == nil, cacheTTL: cacheTTL)
            if representation.varyAccept { headers[.vary] = "Accept" }
            if let derivative = representation.derivative {
                headers[.serverTiming] = AssetHeaders.timing(derivative.origin, duration: derivative.duration)
            }
            return try await AssetResponse.make(request, headers: headers, representation: representation, includeBody: includeBody)
        }
    }
}

/// The CMS's answer to "may this caller read this file", for `AssetService`.
struct CallerAssetAccess: AssetAccess {
    let files: FilesService
    let caller: Accountability

    func file(_ id: String) async throws -> AssetFile? {
        guard let source = try await files.asset(id, accountability: caller) else { return nil }
        return AssetFile(source: TransformSource(fileID: source.id, storage: source.storage, driver: source.driver, key: source.key,
                                                 mediaType: source.type, focalPoint: source.focalPoint.map { FocalPoint(x: $0.x, y: $0.y) }),
                         filenameDownload: source.filenameDownload)
    }
}

/// Conditional requests, ranges and HEAD, the same for originals and derivatives.
enum AssetResponse {
    static func make(_ request: Request, headers: HTTPFields, representation: AssetRepresentation, includeBody: Bool) async throws -> Response {
        var headers = headers
        let object = representation.object
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
        let stream: ByteStream
        switch representation.content {
        case .file(let file):
            // A type the compression middleware may gzip needs its bytes in Depot; the rest leave by sendfile.
            if !ResponseCompression.compressible(representation.type) {
                return Sendfile.response(status: status, headers: headers, file: file, range: bytes)
            }
            stream = try file.stream(range: bytes)
        case .bytes(let all):
            let slice = bytes.map { all[Int($0.lowerBound)...Int($0.upperBound)] } ?? all[...]
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: slice)))
        case .stream(let read):
            guard let remote = try await read(bytes) else { throw AssetGone() }
            stream = remote
        }
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
        if type.containsBytes("html") || type.containsBytes("xml") || type.containsBytes("svg") || type.containsBytes("javascript") {
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
    static func timing(_ origin: Derivative.Origin, duration: Double) -> String {
        // Milliseconds with one decimal, without Foundation's `String(format:)` (3 % of a stored derivative's answer).
        let tenths = Int((max(0, duration) * 10_000).rounded())
        let ms = "\(tenths / 10).\(tenths % 10)"
        switch origin {
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
        if printable, !containsPercentEscape(name) { return "\(kind); filename=\(quoted(name))" }
        let folded = name.folding(options: [.diacriticInsensitive, .widthInsensitive], locale: nil)
        let fallback = String(folded.unicodeScalars.map { (0x20...0x7E).contains($0.value) ? Character($0) : "?" })
        return "\(kind); filename=\(quoted(fallback)); filename*=UTF-8''\(extValue(name))"
    }

    /// Whether the name holds `%XX` (which a client would decode): checked on every asset answer, so by bytes
    /// rather than with a regular expression.
    private static func containsPercentEscape(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count >= 3 else { return false }
        func isHex(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte) }
        for i in 0..<(bytes.count - 2) where bytes[i] == 0x25 && isHex(bytes[i + 1]) && isHex(bytes[i + 2]) { return true }
        return false
    }

    /// A quoted-string: `"` and `\` escaped.
    private static func quoted(_ text: String) -> String {
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) { return "\"" + text + "\"" }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
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
