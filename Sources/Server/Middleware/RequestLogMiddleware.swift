import Hummingbird
import Logging
import Synchronization

/// Gives each request an id (`X-Request-Id`, kept when the client sent a sane one) and logs one access line.
/// The query string is not logged: it may carry `access_token`.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = DepotRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let incoming = request.headers[.init("X-Request-Id")!]
        context.requestID = incoming.flatMap { Self.isSane($0) ? $0 : nil } ?? RandomID.make()
        let started = ContinuousClock.now
        var response = try await next(request, context)
        response.headers[.init("X-Request-Id")!] = context.requestID
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        logger.info("\(request.method) \(request.uri.path) \(response.status.code)", metadata: [
            "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
            "duration_ms": "\((ms * 100).rounded() / 100)", "request_id": "\(context.requestID)",
        ])
        return response
    }

    static func isSane(_ id: String) -> Bool {
        id.count <= 128 && !id.isEmpty && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}

/// Request ids: a random prefix per process and a counter — unique across instances without a `getrandom`
/// call per request.
enum RandomID {
    private static let prefix = String(UInt64.random(in: 0...UInt64.max), radix: 16) + "-"
    private static let counter = Atomic<UInt64>(0)

    static func make() -> String {
        prefix + String(counter.add(1, ordering: .relaxed).newValue, radix: 16)
    }
}
