import HTTPTypes
import Hummingbird

/// A response as the response cache keeps it: status, headers, body and when it expires.
struct CachedResponse {
    var status: Int
    var headers: HTTPFields
    var body: ByteBuffer
    /// Seconds since 1970.
    var expires: Double

    /// `status\nexpires\nname: value\n…\n\nbody`.
    func encoded() -> [UInt8] {
        var head = "\(status)\n\(expires)\n"
        for field in headers { head += "\(field.name.rawName): \(field.value)\n" }
        return Array((head + "\n").utf8) + body.readableBytesView
    }

    init(status: Int, headers: HTTPFields, body: ByteBuffer, expires: Double) {
        self.status = status
        self.headers = headers
        self.body = body
        self.expires = expires
    }

    /// Decoded straight into the response's types: this runs on every cache hit.
    init?(decoding bytes: [UInt8]) {
        var status: Int?
        var expires: Double?
        var headers = HTTPFields()
        var start = 0
        var index = 0
        // The head ends at the first empty line.
        while index < bytes.count {
            if bytes[index] == 0x0A {
                if index == start { break }
                let line = bytes[start..<index]
                if status == nil {
                    status = Int(String(decoding: line, as: UTF8.self))
                } else if expires == nil {
                    expires = Double(String(decoding: line, as: UTF8.self))
                } else if let colon = line.firstIndex(of: UInt8(ascii: ":")),
                          let name = HTTPField.Name(String(decoding: line[..<colon], as: UTF8.self)) {
                    headers.append(HTTPField(name: name, value: String(decoding: line[(colon + 2)...], as: UTF8.self)))
                }
                start = index + 1
            }
            index += 1
        }
        guard index < bytes.count, let status, let expires else { return nil }
        self.status = status
        self.expires = expires
        self.headers = headers
        body = ByteBuffer(bytes: bytes[(index + 1)...])
    }
}

/// Collects a response body as it is written.
final class BodyCollector: ResponseBodyWriter, @unchecked Sendable {
    private(set) var buffer = ByteBuffer()
    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        self.buffer.writeBuffer(&buffer)
    }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
