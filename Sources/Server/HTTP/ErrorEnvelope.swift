import Assets
import CMS
import Cache
import Database
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Storage

/// Turns any error into Directus's error envelope and status. Nothing internal (SQL, paths, traces) reaches
/// the client: unexpected errors are logged with the request id and answered as INTERNAL_SERVER_ERROR.
enum ErrorEnvelope {
    static func cmsError(for error: any Error, path: String, logger: Logger) -> CMSError {
        switch error {
        case let error as CMSError:
            return error
        case let error as AssetsError:
            return CMSError(code: error.code, status: error.status, message: error.message, retryAfter: error.retryAfter)
        case let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed:
            return CMSError(code: "ROUTE_NOT_FOUND", status: 404, message: "Route \(path) doesn't exist.", extensions: ["path": path])
        case let error as HTTPError where error.status == .contentTooLarge:
            return contentTooLarge
        case is NIOTooManyBytesError:
            return contentTooLarge
        case HTTPParserError.invalidEOFState:
            // The client hung up before its body ended: its doing, and nobody is left to read the answer.
            logger.info("client closed the connection before sending its whole request")
            return clientClosedRequest
        case let error as HTTPParserError:
            return CMSError(code: "INVALID_PAYLOAD", status: 400, message: "\(malformedRequest): \(error).",
                            extensions: ["reason": malformedRequest])
        case let error as HTTPError where (400..<500).contains(Int(error.status.code)):
            return CMSError.invalidPayload(error.body ?? error.status.reasonPhrase)
        case let error as DatabaseError:
            switch error {
            case .unavailable, .closed:
                logger.error("database unavailable", metadata: ["error": "\(error)"])
                return CMSError.serviceUnavailable("database", "Database is unavailable")
            case .constraint(let violation):
                return CMSError.constraint(violation, collection: violation.table ?? "")
            case .statement:
                break
            }
        case let error as StorageError:
            if case .unavailable = error {
                logger.error("storage unavailable", metadata: ["error": "\(error)"])
                return CMSError.serviceUnavailable("storage", "Storage is unavailable")
            }
        default:
            break
        }
        logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
        return CMSError(code: "INTERNAL_SERVER_ERROR", status: 500, message: "An unexpected error occurred.")
    }

    /// The reason of a framing error, whose answer closes the connection.
    static let malformedRequest = "Malformed HTTP request"

    /// nginx's 499: logged for a request its client abandoned; never seen by a client.
    static let clientClosedRequest = CMSError(code: "CLIENT_CLOSED_REQUEST", status: 499, message: "The client closed the connection.")

    static let contentTooLarge = CMSError(code: "CONTENT_TOO_LARGE", status: 413, message: "Uploaded content is too large.")

    static func body(_ error: CMSError) -> JSONValue {
        var extensions: [(String, JSONValue)] = [("code", .string(error.code))]
        extensions += error.extensions.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }
        return .object([("errors", .array([.object([("message", .string(error.message)), ("extensions", .object(extensions))])]))])
    }

    static func response(_ error: CMSError) -> Response {
        var response = JSONResponse.make(body(error), status: HTTPResponse.Status(code: error.status))
        if error.status == 429 || error.status == 503 { response.headers[.retryAfter] = String(error.retryAfter ?? 1) }
        // After a framing error the rest of the stream can't be trusted to start a request.
        if error.extensions["reason"] == malformedRequest { response.headers[.connection] = "close" }
        return response
    }
}
