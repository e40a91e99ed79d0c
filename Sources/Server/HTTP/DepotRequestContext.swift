import CMS
import Hummingbird
import NIOCore

/// Per-request state: who is calling (set by authentication) and the request id.
public struct DepotRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var accountability: Accountability = .publicCaller()
    public var requestID = ""
    public let remoteAddress: SocketAddress?
    /// The connection, for interim answers (`100 Continue`).
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        remoteAddress = source.channel.remoteAddress
        clientIP = remoteAddress?.ipAddress
    }

    /// The client's IP: the socket's peer, or what trusted proxies say (set by `ClientAddressMiddleware`).
    public var clientIP: String?
}
