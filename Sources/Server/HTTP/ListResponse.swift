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
        let filename = "\(collection) \(ExportFormat.timestamp()).\(format.fileExtension)"
        return Response(status: .ok, headers: [.contentType: format.contentType,
                                                .contentDisposition: "attachment; filename=\"\(filename)\""],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
