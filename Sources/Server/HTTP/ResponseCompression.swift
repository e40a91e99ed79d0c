import CompressNIO
import Hummingbird
import NIOCore

/// `COMPRESSION_*` (Depot's own: Directus leaves compression to a proxy).
public struct CompressionConfiguration: Sendable {
    /// `COMPRESSION_ENABLED`: gzip JSON and text answers for clients that accept it. Turn it off behind a proxy
    /// that compresses.
    public var enabled = true
    /// `COMPRESSION_THRESHOLD`: answers smaller than this many bytes go out as they are (gzip's framing and the
    /// client's inflate cost more than they save); Express's `compression` uses the same 1 KB.
    public var threshold = 1024

    public init() {}
}

/// Which answers are compressed, and how: the decisions of `ResponseCompressionMiddleware`.
enum ResponseCompression {
    /// Bodies up to this size are compressed whole, with an exact `Content-Length`; larger or unsized ones stream.
    static let wholeBodyLimit = 4 << 20

    /// Whether `Accept-Encoding` admits gzip: listed (or `*`) with a non-zero quality.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        var gzip: Bool?, star: Bool?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            switch coding {
            case "gzip", "x-gzip": gzip = quality > 0
            case "*": star = quality > 0
            default: break
            }
        }
        return gzip ?? star ?? false
    }

    /// JSON, text, XML, YAML, CSV, JavaScript and SVG: the types that shrink. Images, video, archives and other
    /// binary types are compressed already or gain nothing.
    static func compressible(_ contentType: String?) -> Bool {
        // Asked of every asset answer: the common binary types are told apart without any string work.
        if let contentType, ["image/", "video/", "audio/", "font/"].contains(where: { contentType.utf8.starts(with: $0.utf8) }),
           !contentType.utf8.contains(UInt8(ascii: "+")) {
            return false
        }
        guard let type = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() else { return false }
        if type == "text/event-stream" { return false }
        if type.hasPrefix("text/") || type.hasSuffix("+json") || type.hasSuffix("+xml") { return true }
        return ["application/json", "application/javascript", "application/xml", "application/yaml", "application/x-yaml",
                "application/graphql-response+json", "application/x-ndjson"].contains(type)
    }

    /// The response's body gzip-compressed: whole when it is small enough to hold, else streamed chunk by chunk.
    static func gzip(_ body: ResponseBody) async throws -> ResponseBody {
        if let length = body.contentLength, length <= wholeBodyLimit {
            let collector = BodyCollector()
            try await body.write(collector)
            var buffer = collector.buffer
            return ResponseBody(byteBuffer: try buffer.compress(with: CompressionAlgorithm.gzip()))
        }
        return ResponseBody { writer in
            let compressor = CompressionAlgorithm.gzip().compressor
            try compressor.startStream()
            try await body.write(GzipStreamWriter(base: writer, compressor: compressor))
        }
    }
}

/// Compresses each part written through it and writes the compressed bytes on; `finish` ends the gzip stream.
private struct GzipStreamWriter: ResponseBodyWriter {
    var base: any ResponseBodyWriter
    let compressor: any NIOCompressor

    mutating func write(_ part: ByteBuffer) async throws {
        var input = part
        try await deflate(&input, flush: .sync)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        var empty = ByteBuffer()
        try await deflate(&empty, flush: .finish)
        try compressor.finishStream()
        try await base.finish(trailingHeaders)
    }

    private mutating func deflate(_ input: inout ByteBuffer, flush: CompressNIOFlush) async throws {
        var output = ByteBuffer()
        output.reserveCapacity(compressor.maxSize(from: input) + 64)
        try input.compressStream(to: &output, with: compressor, flush: flush)
        if output.readableBytes > 0 { try await base.write(output) }
    }
}
