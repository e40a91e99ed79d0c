import NIOCore
import NIOHTTP1

/// Writes the file of a `Sendfile` response as a `FileRegion` (the kernel's `sendfile`) just before the
/// response's end. It sits below the HTTP/1 codec, where a body part may be a file region.
final class SendfileHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// The token of the response being written, announced by its head.
    private var pending: UInt64?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.headers.contains(name: Sendfile.headerName):
            pending = head.headers.first(name: Sendfile.headerName).flatMap { UInt64($0) }
            head.headers.remove(name: Sendfile.headerName)
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end where pending != nil:
            let token = pending!
            pending = nil
            guard let region = SendfileRegistry.shared.claim(token) else {
                // The head promised bytes that cannot come: the connection must not carry on.
                promise?.fail(ChannelError.ioOnClosedChannel)
                context.close(promise: nil)
                return
            }
            let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: region.descriptor)
            let file = FileRegion(fileHandle: handle, readerIndex: Int(region.start), endIndex: Int(region.end))
            let sent = context.eventLoop.makePromise(of: Void.self)
            sent.futureResult.whenComplete { _ in try? handle.close() }
            context.write(wrapOutboundOut(.body(.fileRegion(file))), promise: sent)
            context.write(data, promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if let pending { SendfileRegistry.shared.discard(pending) }
        pending = nil
    }
}

/// Added with Hummingbird's additional handlers (above the codec), it puts `SendfileHandler` below the codec
/// and steps aside.
final class SendfileInstaller: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func handlerAdded(context: ChannelHandlerContext) {
        let pipeline = context.pipeline.syncOperations
        if let encoder = try? pipeline.handler(type: HTTPResponseEncoder.self) {
            try? pipeline.addHandler(SendfileHandler(), position: .after(encoder))
        }
        pipeline.removeHandler(context: context, promise: nil)
    }
}
