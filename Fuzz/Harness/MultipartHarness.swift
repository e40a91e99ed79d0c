import CMS
import Foundation
import Hummingbird
import NIOCore
@testable import Server

extension FuzzHarness {
    /// Input: `<Content-Type>\n<body>`; the body arrives in chunks of 1–64 bytes (the input's last byte decides).
    /// Drives `MultipartFormReader` as `POST /files` does: form fields as text, file parts drained as streams.
    /// Invariants: it ends (libFuzzer's -timeout catches a hang) with the parts or a CMSError, never yields more
    /// part bytes than the body holds (a form field counted in characters), and once finished stays finished.
    @Sendable public static func multipart(_ bytes: [UInt8]) {
        let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
        let contentType = String(decoding: bytes[..<newline], as: UTF8.self)
        let body = Array(bytes[min(newline + 1, bytes.count)...])
        let chunkSize = Int(bytes.last ?? 0) % 64 + 1
        let chunks = stride(from: 0, to: body.count, by: chunkSize).map { ByteBuffer(bytes: body[$0..<min($0 + chunkSize, body.count)]) }

        var head = HTTPRequest(method: .post, scheme: "http", authority: "localhost", path: "/files")
        head.headerFields[.contentType] = contentType
        let request = Request(head: head, body: RequestBody(asyncSequence: Chunks(chunks: chunks)))
        guard let reader = MultipartFormReader(request) else {
            // The header as HTTPTypes keeps it (it turns CR, LF and NUL into spaces).
            let sent = request.headers[.contentType] ?? ""
            require(!sent.lowercased().hasPrefix("multipart/form-data") || MultipartFormReader.boundary(sent) == nil,
                    "multipart/form-data with a boundary refused")
            return
        }
        let done = DispatchSemaphore(value: 0)
        Task {
            defer { done.signal() }
            var partBytes = 0
            do {
                let trailing = try await reader.forEachFile { fields, part in
                    for (_, value) in fields { require(value.unicodeScalars.count <= body.count, "a field longer than the body") }
                    var size = 0
                    for try await chunk in reader.partStream() { size += chunk.readableBytes }
                    log("file \(part.name ?? "-") \(part.filename ?? "-") \(part.contentType ?? "-"): \(size) bytes after \(fields)")
                    partBytes += size
                }
                log("trailing fields: \(trailing)")
                for (_, value) in trailing { partBytes += value.unicodeScalars.count }   // bytes that are not UTF-8 read as U+FFFD
                require(partBytes <= body.count, "\(partBytes) part bytes from a \(body.count)-byte body")
                require(try await reader.nextPart() == nil, "a part after the end")
                require(try await reader.nextChunk() == nil, "a chunk after the end")
            } catch {
                log("refused: \(error)")
                require(error is CMSError, "not a CMSError: \(error)")
            }
        }
        done.wait()
    }

    /// A request body delivered in the given chunks.
    private struct Chunks: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let chunks: [ByteBuffer]

        struct AsyncIterator: AsyncIteratorProtocol {
            var rest: ArraySlice<ByteBuffer>
            mutating func next() async -> ByteBuffer? { rest.popFirst() }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: chunks[...]) }
    }
}
