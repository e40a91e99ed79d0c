import NIOCore

/// One HTTP request for libcurl. The body, when there is one, is in memory so that a retry can resend it.
public struct CurlRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: ByteBuffer?
    /// Redirects followed (http/https only); 0 = none.
    public var maxRedirects = 0
    public var connectTimeoutMilliseconds = 5_000
    /// A transfer that moves no byte for this long fails.
    public var stallTimeoutSeconds = 60
    /// Whole-transfer limit; 0 = none.
    public var totalTimeoutMilliseconds = 0
    /// Decides, for every connection (redirects included), whether its resolved address may be used.
    public var addressFilter: (@Sendable (IPAddress) -> Bool)?

    public init(method: String, url: String, headers: [(String, String)] = [], body: ByteBuffer? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// Status line and headers of the response.
public struct CurlResponseHead: Sendable {
    public var status: Int
    public var headers: [(String, String)]

    public func header(_ name: String) -> String? {
        headers.last { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

/// A transfer that failed below HTTP (connect, DNS, timeout, reset …) or that we stopped.
public struct CurlError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public let message: String
    /// Worth retrying: the network or the peer failed, not the request.
    public var isTransient: Bool {
        // couldn't resolve proxy/host, couldn't connect, partial file, timeout, send/recv errors, got nothing, SSL connect
        [5, 6, 7, 18, 28, 35, 52, 55, 56].contains(code)
    }
    /// The address filter refused the peer (libcurl reports it as a failed connect).
    public var refusedByFilter = false
    public var description: String { "libcurl error \(code): \(message)" }
}

/// An IPv4 or IPv6 address as raw bytes.
public struct IPAddress: Sendable, Equatable, CustomStringConvertible {
    public let bytes: [UInt8]   // 4 or 16

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public var description: String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
    }
}
