import HTTPTypes
import Hummingbird

/// Sets `context.clientIP` from the socket's peer and, through trusted proxies, `X-Forwarded-For`.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = DepotRequestContext
    let proxy: ProxyTrust

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!]
        guard forwarded != nil || proxy.customHeader != nil else { return try await next(request, context) }
        var context = context
        let custom = proxy.customHeader.flatMap { HTTPField.Name($0) }.flatMap { request.headers[$0] }
        context.clientIP = proxy.clientAddress(peer: context.clientIP, forwardedFor: forwarded, custom: custom)
        return try await next(request, context)
    }
}
