import Foundation
import Glibc
import HTTPTypes
import Hummingbird
import NIOCore
import Storage
import Synchronization

/// Bodies that leave by `sendfile`: the file's bytes go from the page cache to the socket without being read into
/// Depot. Hummingbird's body writer takes only `ByteBuffer`s, so such a response carries a token in a private
/// header and registers its open file under it when the body is written; `SendfileHandler`, below the HTTP
/// codec, strips the header and writes the file as a `FileRegion` before the response's end.
enum Sendfile {
    static let headerName = "X-Depot-Sendfile"
    static let header = HTTPField.Name(headerName)!

    /// `range` (inclusive, within the file) or the whole file, from an open descriptor the response takes over.
    static func response(status: HTTPResponse.Status, headers: HTTPFields, file: OpenedFile, range: ClosedRange<Int64>?) -> Response {
        let token = SendfileRegistry.shared.nextToken()
        var headers = headers
        headers[header] = String(token)
        let start = range?.lowerBound ?? 0, end = range.map { $0.upperBound + 1 } ?? file.object.size
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: Int(end - start)) { writer in
            guard let fd = file.take() else { throw CancellationError() }
            SendfileRegistry.shared.register(token, SendfileRegistry.Region(descriptor: fd, start: start, end: end))
            do {
                try await writer.finish(nil)
            } catch {
                SendfileRegistry.shared.discard(token)
                throw error
            }
        })
    }
}

/// Open files waiting for their connection's `SendfileHandler`. A response whose connection went away before its
/// end was written leaves its entry behind; entries older than a minute are closed at the next registration.
final class SendfileRegistry: Sendable {
    static let shared = SendfileRegistry()

    struct Region: Sendable {
        let descriptor: Int32
        let start: Int64
        let end: Int64
        var registered = ContinuousClock.now
    }

    private let state = Mutex<(next: UInt64, regions: [UInt64: Region])>((1, [:]))
    private static let abandonedAfter = Duration.seconds(60)

    func nextToken() -> UInt64 {
        state.withLock { state in
            defer { state.next &+= 1 }
            return state.next
        }
    }

    func register(_ token: UInt64, _ region: Region) {
        let now = ContinuousClock.now
        let abandoned: [Int32] = state.withLock { state in
            state.regions[token] = region
            let old = state.regions.filter { now - $0.value.registered > Self.abandonedAfter }
            for key in old.keys { state.regions[key] = nil }
            return old.values.map(\.descriptor)
        }
        for fd in abandoned { close(fd) }
    }

    /// The region for `token`, now the caller's to close.
    func claim(_ token: UInt64) -> Region? {
        state.withLock { $0.regions.removeValue(forKey: token) }
    }

    func discard(_ token: UInt64) {
        if let region = claim(token) { close(region.descriptor) }
    }
}
