import Foundation
import Glibc

/// One HTTP/1.1 exchange over a plain socket whose request is written before `send` returns: the request is
/// on the server's side at a known moment (URLSession may connect late in a busy test process). The blocking
/// calls run on a dispatch thread, not the test's cooperative pool.
enum RawHTTPExchange {
    /// Connects and writes `request`; returns the socket, or nil when the server does not accept.
    static func send(port: Int, _ request: String) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: in_port_t(UInt16(port).bigEndian),
                                  sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        let bytes = Array(request.utf8)
        guard connected == 0, Glibc.send(fd, bytes, bytes.count, 0) == bytes.count else { close(fd); return nil }
        return fd
    }

    /// What the server sends until `marker` has arrived (or it closes, or `timeout` seconds pass); the socket stays
    /// open for more.
    static func receive(_ fd: Int32, until marker: String, timeout: Int = 15) async -> String {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var limit = timeval(tv_sec: timeout, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                var received: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while !String(decoding: received, as: UTF8.self).contains(marker) {
                    let n = recv(fd, &buffer, buffer.count, 0)
                    if n <= 0 { break }
                    received += buffer.prefix(n)
                }
                continuation.resume(returning: String(decoding: received, as: UTF8.self))
            }
        }
    }

    /// Everything the server sends until it closes (or `timeout` seconds pass), then closes the socket.
    static func receive(_ fd: Int32, timeout: Int = 15) async -> String {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var limit = timeval(tv_sec: timeout, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                var received: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = recv(fd, &buffer, buffer.count, 0)
                    if n <= 0 { break }
                    received += buffer.prefix(n)
                }
                close(fd)
                continuation.resume(returning: String(decoding: received, as: UTF8.self))
            }
        }
    }
}
