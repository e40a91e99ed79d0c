import HTTPTypes
import Hummingbird

/// gzip for JSON and text answers when the client accepts it (`ResponseCompression`). Never for a Range request or
/// partial answer (the range is of the identity bytes), a HEAD, an answer without a body or one that is encoded
/// already. Every answer that could be compressed says `Vary: Accept-Encoding`, so a cache in front keeps both forms.
struct ResponseCompressionMiddleware: RouterMiddleware {
    typealias Context = DepotRequestContext
    let configuration: CompressionConfiguration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard ResponseCompression.compressible(response.headers[.contentType]), response.headers[.contentEncoding] == nil,
              ![.noContent, .notModified, .partialContent].contains(response.status),
              (response.body.contentLength ?? .max) >= configuration.threshold else { return response }
        response.headers.append(HTTPField(name: .vary, value: "Accept-Encoding"))
        guard request.method != .head, request.headers[.range] == nil,
              ResponseCompression.acceptsGzip(request.headers[.acceptEncoding]) else { return response }
        // Setting the body sets `Content-Length` to the compressed size, or removes it for a streamed body.
        response.body = try await ResponseCompression.gzip(response.body)
        response.headers[.contentEncoding] = "gzip"
        // The compressed bytes are another representation: a strong validator of the identity bytes must not
        // name them (RFC 9110 §8.8.3), so it becomes weak.
        if let etag = response.headers[.eTag], !etag.hasPrefix("W/") { response.headers[.eTag] = "W/" + etag }
        return response
    }
}
