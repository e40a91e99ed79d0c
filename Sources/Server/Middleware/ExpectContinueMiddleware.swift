import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTPTypes

/// `Expect: 100-continue` (curl sends it before any body over 1 MB and waits a second for the answer): the interim
/// `100 Continue` goes out when the route first reads the body, so a request refused before that (401, 403, 413)
/// gets its final answer at once and the client never sends the body. That answer closes the connection: the body
/// the client held back can't be told apart from a next request.
struct ExpectContinueMiddleware: RouterMiddleware {
    typealias Context = DepotRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.headers[.expect]?.lowercased() == "100-continue" else { return try await next(request, context) }
        let interim = InterimContinue(channel: context.channel)
        var request = request
        request.body = RequestBody(asyncSequence: ContinueOnReadBody(base: request.body, interim: interim))
        var response = try await next(request, context)
        if !interim.sent { response.headers[.connection] = "close" }
        return response
    }
}

/// Sends `100 Continue` once, on the connection's event loop, ahead of the final answer.
final class InterimContinue: Sendable {
    private let channel: any Channel
    private let state = NIOLockedValueBox(false)

    init(channel: any Channel) { self.channel = channel }

    var sent: Bool { state.withLockedValue { $0 } }

    func send() {
        let first = state.withLockedValue { sent in
            defer { sent = true }
            return !sent
        }
        guard first else { return }
        channel.writeAndFlush(HTTPResponsePart.head(HTTPResponse(status: .continue)), promise: nil)
    }
}

/// The request body, asking for the client's bytes with `100 Continue` when it is first read.
struct ContinueOnReadBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: RequestBody
    let interim: InterimContinue

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let interim: InterimContinue

        mutating func next() async throws -> ByteBuffer? {
            interim.send()
            return try await base.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), interim: interim) }
}
