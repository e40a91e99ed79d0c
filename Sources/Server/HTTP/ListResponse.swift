import CMS
import Foundation
import Hummingbird
import NIOCore

/// A list answer: `{data, meta}`, or with `export` the data alone as a download (never enveloped).
enum ListResponse {
    static func make(_ collection: String, data: JSONValue, meta: JSONValue?, query: Query) throws -> Response {
        guard let format = query.export else {
            var body: [(String, JSONValue)] = [("data", data)]
            if let meta { body.append(("meta", meta)) }
            return JSONResponse.make(.object(body))
        }
        guard case .array(let items) = data else { return try make(collection, data: .array([data]), meta: nil, query: query) }
        let bytes = try format.encode(items)
        let filename = "\(collection) \(timestamp()).\(format.fileExtension)"
        return Response(status: .ok, headers: [.contentType: format.contentType,
                                                .contentDisposition: "attachment; filename=\"\(filename)\""],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `YYYYMMDD-HHmmss` in UTC, as Directus names export files.
    private static func timestamp() -> String {
        var now = time(nil), parts = tm()
        gmtime_r(&now, &parts)
        return String(format: "%04d%02d%02d-%02d%02d%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
    }
}
