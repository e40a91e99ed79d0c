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
///
/// The state is counted, not inferred from the order of parts: an answer's `.end` may pass this handler after the
/// client has already sent its next request (the body's last byte is flushed first, and the `.end` of a streamed
/// body is a separate write; or the client pipelines). That `.end` belongs to the earlier request and must not
/// start the keep-alive clock for a request that is in progress.
final class ConnectionTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: ConnectionLimits
    private let counter: ConnectionCounter
    /// Requests whose head was read and whose answer has not been written to its end yet.
    private var unanswered = 0
    /// A request's head was read and its `.end` not yet.
    private var readingBody = false
    /// The answer being written says `Connection: close`.
    private var closeAfterAnswer = false
    private var timer: Scheduled<Void>?
    /// Bumped by every arm and disarm: a timer that fires after it was replaced is stale and does nothing (NIO may
    /// still run a cancelled task that was already due in the same loop tick).
    private var generation = 0
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
        disarm()
        release()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        release()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            unanswered += 1
            readingBody = true
        case .body: break
        case .end: readingBody = false
        }
        rearm(context)
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.headerFields[.connection]?.lowercased() == "close" { closeAfterAnswer = true }
        case .body: break
        case .end:
            // Answers go out in the order of their requests: this one is the oldest unanswered request's.
            unanswered = max(0, unanswered - 1)
            // The clock starts once the answer has left, not when its end was handed down: a file going out by
            // sendfile to a slow reader is still being written long after that.
            let written = promise ?? context.eventLoop.makePromise()
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let close = closeAfterAnswer
            written.futureResult.whenComplete { _ in
                let (handler, context) = loopBound.value
                // An answer that says `Connection: close` (a framing error, a body held back after `Expect`) ends
                // the connection once it is written: what the client sends next can't be read as a request.
                if close { context.close(promise: nil) } else { handler.rearm(context) }
            }
            context.write(data, promise: written)
            return
        }
        context.write(data, promise: promise)
    }

    /// The timer for the state now. A body being read must keep moving, within the keep-alive time once it was
    /// answered (an early error: the client only finishes sending). Between bodies, either the server is
    /// answering (no timer: it is the one working) or the client must send its next head.
    private func rearm(_ context: ChannelHandlerContext) {
        if readingBody {
            arm(context, unanswered > 0 ? limits.bodyStall : limits.keepAlive)
        } else if unanswered > 0 {
            disarm()
        } else {
            arm(context, limits.keepAlive)
        }
    }

    private func started(_ context: ChannelHandlerContext) {
        if countedAddress == nil, limits.perAddress > 0, let address = context.channel.remoteAddress?.ipAddress {
            guard counter.open(address, limit: limits.perAddress) else {
                context.close(promise: nil)
                return
            }
            countedAddress = address
        }
        if unanswered == 0, !readingBody, timer == nil { arm(context, limits.headers) }
    }

    private func release() {
        if let address = countedAddress { counter.close(address) }
        countedAddress = nil
    }

    private func arm(_ context: ChannelHandlerContext, _ delay: TimeAmount) {
        disarm()
        let armed = generation
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = loopBound.value
            // Nothing moved since the timer was set: the client is the one keeping the connection waiting.
            guard handler.generation == armed else { return }
            context.close(promise: nil)
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
        generation &+= 1
    }
}
