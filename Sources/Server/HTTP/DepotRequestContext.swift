import CMS
import Hummingbird
import NIOCore

/// Per-request state: who is calling (set by authentication) and the request id.
public struct DepotRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var accountability: Accountability = .publicCaller()
    public var requestID = ""
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        clientIP = remoteAddress?.ipAddress
    }

    /// The client's IP: the socket's peer, or what trusted proxies say (set by `ClientAddressMiddleware`).
    public var clientIP: String?
}
