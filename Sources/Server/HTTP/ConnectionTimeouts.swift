import Hummingbird
import HummingbirdCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTPTypes

/// How long a connection may wait on its client, with Directus's (Node's) names, and how many connections one
/// address may hold.
public struct ConnectionLimits: Sendable {
    /// `SERVER_KEEP_ALIVE_TIMEOUT`: an idle connection between two requests is closed after this.
    public var keepAlive: TimeAmount = .seconds(5)
    /// `SERVER_HEADERS_TIMEOUT`: the first request's head must have arrived by then. A request after the first
    /// must start within `keepAlive` (its head is not seen byte by byte here).
    public var headers: TimeAmount = .seconds(60)
    /// `SERVER_REQUEST_TIMEOUT`: a body that makes no progress for this long is abandoned. Bodies stream, so a
    /// long upload that keeps moving is never cut.
    public var bodyStall: TimeAmount = .seconds(300)
    /// `SERVER_MAX_CONNECTIONS_PER_IP` (Depot's own): open connections one address may hold; 0 = any number.
    public var perAddress = 0

    public init() {}
}

/// Counts open connections per remote address, shared by every connection of the server.
final class ConnectionCounter: Sendable {
    private let counts = NIOLockedValueBox<[String: Int]>([:])

    /// Counts a new connection; false when its address already holds `limit`.
    func open(_ address: String, limit: Int) -> Bool {
        counts.withLockedValue { counts in
            let current = counts[address, default: 0]
            guard current < limit else { return false }
            counts[address] = current + 1
            return true
        }
    }

    func close(_ address: String) {
        counts.withLockedValue { counts in
            let left = counts[address, default: 1] - 1
            counts[address] = left > 0 ? left : nil
        }
    }
}

/// Closes a connection whose client makes it wait: idle between requests, slow to send a head, or a body that
/// stalls (slowloris). Sits after the HTTP decoder, so it sees request and response parts.
final class ConnectionTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Phase { case awaitingHead, readingBody, responding }

    private let limits: ConnectionLimits
    private let counter: ConnectionCounter
    private var phase = Phase.awaitingHead
    /// The answer to the current request has been sent (possibly before its body was read).
    private var answered = false
    private var closeAfterAnswer = false
    private var timer: Scheduled<Void>?
    private var countedAddress: String?

    init(limits: ConnectionLimits, counter: ConnectionCounter) {
        self.limits = limits
        self.counter = counter
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { started(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        started(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        release()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        release()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: phase = .readingBody; answered = false; arm(context, limits.bodyStall)
        case .body: arm(context, limits.bodyStall)
        case .end:
            if answered { phase = .awaitingHead; arm(context, limits.keepAlive) } else { phase = .responding; disarm() }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.headerFields[.connection]?.lowercased() == "close" { closeAfterAnswer = true }
        case .body: break
        case .end:
            answered = true
            // An answer sent before its body was read (an error) ends the exchange too: wait for the next head.
            phase = .awaitingHead
            arm(context, limits.keepAlive)
            // An answer that says `Connection: close` (a framing error, a body held back after `Expect`) ends the
            // connection once it is written: what the client sends next can't be read as a request.
            if closeAfterAnswer {
                let written = promise ?? context.eventLoop.makePromise()
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                written.futureResult.whenComplete { _ in loopBound.value.close(promise: nil) }
                context.write(data, promise: written)
                return
            }
        }
        context.write(data, promise: promise)
    }

    private func started(_ context: ChannelHandlerContext) {
        if countedAddress == nil, limits.perAddress > 0, let address = context.channel.remoteAddress?.ipAddress {
            guard counter.open(address, limit: limits.perAddress) else {
                context.close(promise: nil)
                return
            }
            countedAddress = address
        }
        if phase == .awaitingHead, timer == nil { arm(context, limits.headers) }
    }

    private func release() {
        if let address = countedAddress { counter.close(address) }
        countedAddress = nil
    }

    private func arm(_ context: ChannelHandlerContext, _ delay: TimeAmount) {
        timer?.cancel()
        let phase = self.phase
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = loopBound.value
            // Nothing moved since the timer was set: the client is the one waiting to be timed out.
            guard handler.phase == phase, handler.phase != .responding else { return }
            context.close(promise: nil)
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}
