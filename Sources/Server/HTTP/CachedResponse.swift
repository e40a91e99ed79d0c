import Foundation
import Hummingbird

/// A response as the response cache keeps it: status, headers, body and when it expires.
struct CachedResponse: Equatable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    /// Seconds since 1970.
    var expires: Double

    static func == (a: CachedResponse, b: CachedResponse) -> Bool {
        a.status == b.status && a.body == b.body && a.expires == b.expires && a.headers.elementsEqual(b.headers, by: ==)
    }

    /// `status\nexpires\nname: value\n…\n\nbody`.
    func encoded() -> [UInt8] {
        var head = "\(status)\n\(expires)\n"
        for (name, value) in headers { head += "\(name): \(value)\n" }
        return Array((head + "\n").utf8) + body
    }

    init(status: Int, headers: [(String, String)], body: [UInt8], expires: Double) {
        self.status = status
        self.headers = headers
        self.body = body
        self.expires = expires
    }

    init?(decoding bytes: [UInt8]) {
        // The head ends at the first empty line.
        var lines: [String] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0A {
                if index == start { break }
                lines.append(String(decoding: bytes[start..<index], as: UTF8.self))
                start = index + 1
            }
            index += 1
        }
        guard index < bytes.count, lines.count >= 2, let status = Int(lines[0]), let expires = Double(lines[1]) else { return nil }
        self.status = status
        self.expires = expires
        headers = lines.dropFirst(2).compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...].dropFirst()))
        }
        body = Array(bytes[(index + 1)...])
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
