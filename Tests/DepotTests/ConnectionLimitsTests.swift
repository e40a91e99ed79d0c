import Foundation
import Glibc
import Testing

/// Slow and idle clients can't hold connections: Directus's (Node's) timeouts, and connections per address.
@Suite struct ConnectionLimitsTests {
    /// Seconds until the server closes `fd` (reads and drops anything it sends), or nil if it stays open `limit` s.
    static func secondsUntilClosed(_ fd: Int32, limit: Int) async -> Double? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let started = Date()
                var timeout = timeval(tv_sec: limit, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = recv(fd, &buffer, buffer.count, 0)
                    if n > 0 { continue }
                    let elapsed = Date().timeIntervalSince(started)
                    close(fd)
                    // 0: closed by the server; -1: our receive timeout ran out first.
                    continuation.resume(returning: n == 0 || errno == ECONNRESET ? elapsed : nil)
                    return
                }
            }
        }
    }

    @Test func idleSlowHeaderAndStalledBodyConnectionsAreClosed() async throws {
        guard let (depot, test) = try await HTTPTests.server(.sqlite, [
            "SERVER_KEEP_ALIVE_TIMEOUT": "500", "SERVER_HEADERS_TIMEOUT": "1s", "SERVER_REQUEST_TIMEOUT": "1500",
        ]) else { return }
        // A connection that never sends anything: gone after the headers timeout.
        let silent = try #require(RawHTTPExchange.send(port: depot.port, ""))
        let silentClosed = await Self.secondsUntilClosed(silent, limit: 10)
        #expect(silentClosed.map { $0 >= 0.8 && $0 < 5 } == true, "\(String(describing: silentClosed))")
        // Slowloris: half a head, never finished.
        let slow = try #require(RawHTTPExchange.send(port: depot.port, "GET /server/ping HTTP/1.1\r\nHost: x\r\nX-Slow: "))
        let slowClosed = await Self.secondsUntilClosed(slow, limit: 10)
        #expect(slowClosed.map { $0 < 5 } == true, "\(String(describing: slowClosed))")
        // Kept alive after an answer, then idle: closed after the keep-alive timeout.
        let kept = try #require(RawHTTPExchange.send(port: depot.port, "GET /server/ping HTTP/1.1\r\nHost: x\r\n\r\n"))
        let keptClosed = await Self.secondsUntilClosed(kept, limit: 10)
        #expect(keptClosed.map { $0 >= 0.3 && $0 < 4 } == true, "\(String(describing: keptClosed))")
        // A body that stops moving: abandoned after the request timeout.
        let stalled = try #require(RawHTTPExchange.send(port: depot.port,
            "POST /items/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\":"))
        let stalledClosed = await Self.secondsUntilClosed(stalled, limit: 10)
        #expect(stalledClosed.map { $0 >= 1.2 && $0 < 6 } == true, "\(String(describing: stalledClosed))")
        #expect(try await depot.request("GET", "/server/ping").status == 200)
        #expect(await depot.stop() == 0)
        await test.drop()
    }

    /// The answer to one request may reach the client (and its next request the server) before the server has
    /// finished writing that answer — always so when the client pipelines. The request in progress then is not
    /// idle: the keep-alive timeout must not cut it. Here its body arrives in two parts, further apart than the
    /// keep-alive timeout but within the request timeout.
    @Test func aRequestInProgressAfterAPipelinedAnswerIsNotCutByTheKeepAliveTimeout() async throws {
        guard let (depot, test) = try await HTTPTests.server(.sqlite, [
            "SERVER_KEEP_ALIVE_TIMEOUT": "300", "SERVER_REQUEST_TIMEOUT": "30s",
        ]) else { return }
        let login = #"{"email":"admin@example.com","password":"admin-password"}"#
        let half = login.utf8.count / 2
        let fd = try #require(RawHTTPExchange.send(port: depot.port,
            "GET /server/ping HTTP/1.1\r\nHost: x\r\n\r\n"
            + "POST /auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(login.utf8.count)\r\n\r\n" + String(login.prefix(half))))
        // The first answer is out: the keep-alive clock would start now.
        let first = await RawHTTPExchange.receive(fd, until: "pong", timeout: 15)
        #expect(first.hasPrefix("HTTP/1.1 200"), "\(first)")
        // Three keep-alive timeouts later (well within the request timeout), the rest of the body.
        try await Task.sleep(for: .milliseconds(900))
        let rest = Array(login.utf8.dropFirst(half))
        #expect(Glibc.send(fd, rest, rest.count, Int32(MSG_NOSIGNAL)) == rest.count)
        let second = await RawHTTPExchange.receive(fd, timeout: 15)
        #expect(second.hasPrefix("HTTP/1.1 200") && second.contains("access_token"), "\(second)")
        #expect(await depot.stop() == 0)
        await test.drop()
    }

    @Test func connectionsPerAddressAreBounded() async throws {
        guard let (depot, test) = try await HTTPTests.server(.sqlite, ["SERVER_MAX_CONNECTIONS_PER_IP": "3", "SERVER_HEADERS_TIMEOUT": "60s"]) else { return }
        // Three kept-alive connections, each answered once (so each is surely open on the server's side).
        let held = try (0..<3).map { _ in try #require(RawHTTPExchange.send(port: depot.port, "GET /server/ping HTTP/1.1\r\nHost: x\r\n\r\n")) }
        for fd in held {
            var buffer = [UInt8](repeating: 0, count: 1024)
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            #expect(recv(fd, &buffer, buffer.count, 0) > 0)
        }
        let fourth = try #require(RawHTTPExchange.send(port: depot.port, "GET /server/ping HTTP/1.1\r\nHost: x\r\n\r\n"))
        let refused = await RawHTTPExchange.receive(fourth, timeout: 5)
        #expect(!refused.contains("200 OK"), "\(refused)")
        for fd in held { close(fd) }
        // Once they are closed the address may connect again.
        let deadline = Date().addingTimeInterval(10)
        var status = 0
        while status != 200, Date() < deadline {
            status = (try? await depot.request("GET", "/server/ping").status) ?? 0
            if status != 200 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(status == 200)
        #expect(await depot.stop() == 0)
        await test.drop()
    }
}
