import CMS
import Hummingbird
import MultipartKit
import NIOCore
import Storage

/// Reads a `multipart/form-data` body part by part, pulling the request body only as fast as the consumer of
/// the current part reads it: a file part streams to storage with nothing but a chunk or two in memory.
final class MultipartFormReader: @unchecked Sendable {
    /// A part's headers, known once its body begins.
    struct Part {
        let name: String?
        let filename: String?
        let contentType: String?
    }

    private enum Event {
        case header(String, String)
        case body(ByteBuffer)
        case end
    }

    /// Form fields are held in memory until their file arrives: Depot bounds them (Directus bounds neither the
    /// count nor, past a silent cut at 1 MiB, the size).
    struct Limits {
        /// Form fields in one body (400 past it).
        var fields = 100
        /// Bytes of all form fields together (413 past it); `MAX_PAYLOAD_SIZE`.
        var fieldBytes = 1 << 20
        /// Header lines of one part, and bytes of one header value (400 past them).
        static let headersPerPart = 32
        static let headerValueBytes = 8 << 10
        /// Bytes the parser may take in without a header or body coming out (a header line without end).
        static let silentBytes = 64 << 10
    }

    private let limits: Limits
    private var fieldBytes = 0
    private var silentBytes = 0
    private var body: RequestBody.AsyncIterator
    private let parser: MultipartParser
    private var headerGuard: MultipartHeaderGuard
    private var events: [Event] = []
    private var headers: [(String, String)] = []
    private var inBody = false
    private var finished = false

    /// nil when the content type is not multipart or has no boundary.
    init?(_ request: Request, limits: Limits = Limits()) {
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("multipart/form-data"),
              let boundary = Self.boundary(type) else { return nil }
        self.limits = limits
        self.body = request.body.makeAsyncIterator()
        self.parser = MultipartParser(boundary: boundary)
        self.headerGuard = MultipartHeaderGuard(boundary: boundary)
        parser.onHeader = { [unowned self] name, value in events.append(.header(name, value)) }
        parser.onBody = { [unowned self] buffer in events.append(.body(buffer)) }
        parser.onPartComplete = { [unowned self] in events.append(.end) }
    }

    /// The next part's headers, or nil after the last part.
    func nextPart() async throws -> Part? {
        while let event = try await nextEvent() {
            switch event {
            case .header(let name, let value):
                guard headers.count < Limits.headersPerPart, name.utf8.count + value.utf8.count <= Limits.headerValueBytes else {
                    throw CMSError.invalidPayload("A multipart part has too many or too large headers")
                }
                headers.append((name.lowercased(), value))
            case .body(let chunk):
                events.insert(.body(chunk), at: 0)
                return startPart()
            case .end:
                events.insert(.end, at: 0)
                return startPart()
            }
        }
        return nil
    }

    /// The next chunk of the current part, nil at its end.
    func nextChunk() async throws -> ByteBuffer? {
        guard inBody else { return nil }
        guard let event = try await nextEvent() else { throw CMSError.invalidPayload("Multipart body ended inside a part") }
        switch event {
        case .body(let chunk): return chunk
        case .end:
            inBody = false
            return nil
        case .header: throw CMSError.invalidPayload("Malformed multipart body")
        }
    }

    /// Calls `body` for each file part with every form field sent before it (Directus's order: fields, then
    /// file); returns the fields that followed the last file.
    @discardableResult
    func forEachFile(_ body: ([(String, String)], Part) async throws -> Void) async throws -> [(String, String)] {
        var fields: [(String, String)] = []
        var trailing: [(String, String)] = []
        while let part = try await nextPart() {
            if part.filename == nil {
                guard fields.count < limits.fields else { throw CMSError.invalidPayload("More than \(limits.fields) form fields") }
                let field = (part.name ?? "", try await partText(limit: limits.fieldBytes - fieldBytes))
                fieldBytes += field.0.utf8.count + field.1.utf8.count
                fields.append(field)
                trailing.append(field)
            } else {
                try await body(fields, part)
                trailing = []
            }
        }
        return trailing
    }

    /// The current part's bytes as a stream.
    func partStream() -> ByteStream { ByteStream(unfolding: { try await self.nextChunk() }) }

    /// The current part's bytes as text, refusing more than `limit` bytes (form fields are small).
    func partText(limit: Int = 1 << 20) async throws -> String {
        var text = ByteBuffer()
        while var chunk = try await nextChunk() {
            guard text.readableBytes + chunk.readableBytes <= limit else {
                throw CMSError(code: "CONTENT_TOO_LARGE", status: 413, message: "Form fields are larger than \(limits.fieldBytes) bytes.")
            }
            text.writeBuffer(&chunk)
        }
        return String(buffer: text)
    }

    private func startPart() -> Part {
        inBody = true
        let disposition = headers.last { $0.0 == "content-disposition" }?.1 ?? ""
        let part = Part(name: Self.parameter("name", in: disposition), filename: Self.parameter("filename", in: disposition),
                        contentType: headers.last { $0.0 == "content-type" }?.1)
        headers = []
        return part
    }

    private func nextEvent() async throws -> Event? {
        while events.isEmpty {
            guard !finished else { return nil }
            guard let chunk = try await body.next() else {
                finished = true
                return nil
            }
            try headerGuard.check(chunk)
            do { try parser.execute(chunk) } catch { throw CMSError.invalidPayload("Malformed multipart body") }
            // The parser keeps a header line whole until it ends: bytes that make no event are bounded.
            silentBytes = events.isEmpty ? silentBytes + chunk.readableBytes : 0
            guard silentBytes <= Limits.silentBytes else { throw CMSError.invalidPayload("A multipart part has too many or too large headers") }
        }
        return events.removeFirst()
    }

    static func boundary(_ contentType: String) -> String? {
        parameter("boundary", in: contentType).flatMap { $0.isEmpty || $0.count > 200 ? nil : $0 }
    }

    /// `name="value"` or `name=value` from a header such as Content-Disposition.
    static func parameter(_ name: String, in header: String) -> String? {
        for piece in header.split(separator: ";") {
            let pair = piece.trimmingCharacters(in: .whitespaces)
            guard pair.lowercased().hasPrefix(name + "=") else { continue }
            var value = String(pair.dropFirst(name.count + 1))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.replacingOccurrences(of: "\\\"", with: "\"")
        }
        return nil
    }
}
