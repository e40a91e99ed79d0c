import CMS
import Hummingbird
import NIOCore

/// JSON bodies in Directus's shapes.
enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok, contentType: String = "application/json; charset=utf-8") -> Response {
        let bytes = value.serialized()
        return Response(status: status, headers: [.contentType: contentType],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `{"data": …}`
    static func data(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        make(.object([("data", value)]), status: status)
    }

    static var noContent: Response { Response(status: .noContent) }
}

extension Request {
    /// The body as JSON, bounded by `MAX_PAYLOAD_SIZE` (413 above it, 400 when it is not JSON or empty).
    func jsonBody(limit: Int) async throws -> JSONValue {
        guard let value = try await optionalJSONBody(limit: limit) else { throw CMSError.invalidPayload("Body is empty") }
        return value
    }

    /// Like `jsonBody`, but an empty body is nil rather than an error.
    func optionalJSONBody(limit: Int) async throws -> JSONValue? {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit { throw ErrorEnvelope.contentTooLarge }
        let buffer = try await body.collect(upTo: limit)
        guard buffer.readableBytes > 0 else { return nil }
        return try JSONValue.parse(buffer.readableBytesView)
    }

    /// The first value of a query parameter.
    func query(_ name: String) -> String? { queryPairs.first { $0.0 == name }?.1 }

    /// A comma list query parameter such as `fields`.
    func listQuery(_ name: String) -> [String]? {
        query(name).map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    /// A cookie sent by the client.
    func cookie(_ name: String) -> String? {
        for header in headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces)
                if pair.hasPrefix(name + "=") { return String(pair.dropFirst(name.count + 1)) }
            }
        }
        return nil
    }
}
