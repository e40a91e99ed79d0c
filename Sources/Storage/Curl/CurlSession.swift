import CCurl
import Foundation
import NIOCore
import NIOPosix

/// Runs HTTP exchanges through libcurl on its own threads (never an event loop or the cooperative pool).
/// Easy handles are pooled so that connections to the same host are reused.
public final class CurlSession: Sendable {
    private let threads: NIOThreadPool
    private let handles = HandlePool()

    /// `threads`: how many transfers run at once; a streaming download holds one for as long as it is read.
    public init(threads: Int) {
        self.threads = NIOThreadPool(numberOfThreads: max(1, threads))
        self.threads.start()
    }

    public func shutdown() async {
        try? await threads.shutdownGracefully()
        handles.drain()
    }

    /// Performs `request` and collects the response body (at most `limit` bytes are kept).
    public func fetch(_ request: CurlRequest, limit: Int = 1 << 20) async throws -> (CurlResponseHead, ByteBuffer) {
        try await threads.runIfActive {
            var body = ByteBuffer()
            let head = try self.perform(request) { _, chunk in
                if body.readableBytes < limit { body.writeBytes(UnsafeRawBufferPointer(rebasing: chunk.prefix(limit - body.readableBytes))) }
                return true
            }
            return (head, body)
        }
    }

    /// Performs `request` and hands the body over as a stream once the head has arrived. `decide` looks at
    /// the head: `true` streams the body, `false` collects it (error bodies, at most 64 KiB) instead.
    public func stream(_ request: CurlRequest, decide: @escaping @Sendable (CurlResponseHead) -> Bool) async throws
        -> (CurlResponseHead, ByteStream?, ByteBuffer) {
        let channel = ByteChannel()
        let started = OneShot<(CurlResponseHead, Bool)>()
        let collected = OneShot<ByteBuffer>()
        threads.submit { state in
            guard case .active = state else { return started.set(.failure(StorageError.unavailable("shutting down"))) }
            var body = ByteBuffer()
            var streaming = false
            func begin(_ head: CurlResponseHead) {
                guard !started.isSet else { return }
                streaming = decide(head)
                started.set(.success((head, streaming)))
            }
            do {
                let head = try self.perform(request) { head, chunk in
                    begin(head)
                    if streaming { return channel.push(ByteBuffer(bytes: chunk)) }
                    if body.readableBytes < 65_536 { body.writeBytes(chunk) }
                    return true
                }
                begin(head)
                channel.finish()
                collected.set(.success(body))
            } catch {
                channel.finish(error)
                started.set(.failure(error))
                collected.set(.failure(error))
            }
        }
        let (head, streaming) = try await started.wait()
        if streaming { return (head, channel.stream(), ByteBuffer()) }
        return (head, nil, try await collected.wait())
    }

    /// One synchronous exchange on the calling thread. `onChunk` returns false to stop the transfer.
    private func perform(_ request: CurlRequest,
                         onChunk: (CurlResponseHead, UnsafeRawBufferPointer) -> Bool) throws -> CurlResponseHead {
        let handle = try handles.take()
        var keep = true
        defer { handles.put(handle, reuse: keep) }
        return try withoutActuallyEscaping(onChunk) { onChunk in
            try perform(request, handle: handle, keep: &keep, transfer: Transfer(request: request, onChunk: onChunk, handle: handle))
        }
    }

    private func perform(_ request: CurlRequest, handle: UnsafeMutableRawPointer, keep: inout Bool, transfer: Transfer) throws -> CurlResponseHead {
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        var list: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(list) }
        for (name, value) in request.headers + [("Expect", "")] {
            list = curl_slist_append(list, value.isEmpty ? "\(name):" : "\(name): \(value)")
        }
        let setup: [CURLcode] = [
            depot_curl_setopt_string(handle, CURLOPT_URL, request.url),
            depot_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1),
            depot_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1),
            depot_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"),
            depot_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeoutMilliseconds),
            depot_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1),
            depot_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, request.stallTimeoutSeconds),
            depot_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, request.totalTimeoutMilliseconds),
            depot_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, list),
            depot_curl_set_write(handle, Transfer.write, context),
            depot_curl_set_header(handle, Transfer.header, context),
        ] + methodOptions(handle, request, context) + redirectOptions(handle, request)
        if let filter = request.addressFilter {
            transfer.filter = filter
            _ = depot_curl_set_address_filter(handle, Transfer.filterAddress, context)
        }
        if let failed = setup.first(where: { $0 != CURLE_OK }) {
            keep = false
            throw CurlError(code: Int32(failed.rawValue), message: String(cString: curl_easy_strerror(failed)))
        }
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            keep = false
            var error = CurlError(code: Int32(code.rawValue), message: String(cString: curl_easy_strerror(code)))
            error.refusedByFilter = transfer.refused
            throw error
        }
        return transfer.head()
    }

    private func methodOptions(_ handle: UnsafeMutableRawPointer, _ request: CurlRequest, _ context: UnsafeMutableRawPointer) -> [CURLcode] {
        let size = curl_off_t(request.body?.readableBytes ?? 0)
        switch request.method {
        case "GET": return []
        case "HEAD": return [depot_curl_setopt_long(handle, CURLOPT_NOBODY, 1)]
        case "PUT":
            return [depot_curl_setopt_long(handle, CURLOPT_UPLOAD, 1),
                    depot_curl_setopt_offset(handle, CURLOPT_INFILESIZE_LARGE, size),
                    depot_curl_set_read(handle, Transfer.read, context)]
        case "POST":
            return [depot_curl_setopt_long(handle, CURLOPT_POST, 1),
                    depot_curl_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, size),
                    depot_curl_set_read(handle, Transfer.read, context)]
        default:
            return [depot_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)]
        }
    }

    private func redirectOptions(_ handle: UnsafeMutableRawPointer, _ request: CurlRequest) -> [CURLcode] {
        guard request.maxRedirects > 0 else { return [] }
        return [depot_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 1),
                depot_curl_setopt_long(handle, CURLOPT_MAXREDIRS, request.maxRedirects),
                depot_curl_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")]
    }
}

/// The state of one exchange, reached from libcurl's callbacks through their context pointer.
private final class Transfer {
    let request: CurlRequest
    let onChunk: (CurlResponseHead, UnsafeRawBufferPointer) -> Bool
    let handle: UnsafeMutableRawPointer
    var headers: [(String, String)] = []
    var sent = 0
    var filter: (@Sendable (IPAddress) -> Bool)?
    var refused = false

    init(request: CurlRequest, onChunk: @escaping (CurlResponseHead, UnsafeRawBufferPointer) -> Bool, handle: UnsafeMutableRawPointer) {
        self.request = request
        self.onChunk = onChunk
        self.handle = handle
    }

    func head() -> CurlResponseHead {
        var status = 0
        _ = depot_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return CurlResponseHead(status: status, headers: headers)
    }

    static func from(_ context: UnsafeMutableRawPointer?) -> Transfer {
        Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    }

    static let write: depot_curl_data_callback = { data, size, count, context in
        let transfer = from(context)
        let chunk = UnsafeRawBufferPointer(start: data, count: size * count)
        return transfer.onChunk(transfer.head(), chunk) ? size * count : 0
    }

    static let read: depot_curl_data_callback = { data, size, count, context in
        let transfer = from(context)
        guard let body = transfer.request.body else { return 0 }
        let n = min(size * count, body.readableBytes - transfer.sent)
        body.withUnsafeReadableBytes { raw in
            UnsafeMutableRawPointer(data!).copyMemory(from: raw.baseAddress! + transfer.sent, byteCount: n)
        }
        transfer.sent += n
        return n
    }

    static let header: depot_curl_data_callback = { data, size, count, context in
        let transfer = from(context)
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            transfer.headers = []   // a new response (after a redirect or a 100 Continue)
        } else if let colon = line.firstIndex(of: ":") {
            transfer.headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return size * count
    }

    static let filterAddress: depot_curl_address_filter = { family, address, context in
        let transfer = from(context)
        let length = family == AF_INET6 ? 16 : 4
        guard let ip = IPAddress(bytes: Array(UnsafeBufferPointer(start: address, count: length))),
              transfer.filter?(ip) ?? true else {
            transfer.refused = true
            return 0
        }
        return 1
    }
}

/// Idle easy handles, kept so their connections are reused.
private final class HandlePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []

    func take() throws -> UnsafeMutableRawPointer {
        lock.lock()
        let handle = idle.popLast()
        lock.unlock()
        if let handle {
            curl_easy_reset(handle)
            return handle
        }
        guard let fresh = curl_easy_init() else { throw StorageError.unavailable("libcurl could not create a handle") }
        return fresh
    }

    /// A handle whose transfer failed is closed: its connection may be in any state.
    func put(_ handle: UnsafeMutableRawPointer, reuse: Bool) {
        guard reuse else { return curl_easy_cleanup(handle) }
        lock.lock()
        idle.append(handle)
        lock.unlock()
    }

    func drain() {
        lock.lock()
        let all = idle
        idle = []
        lock.unlock()
        all.forEach { curl_easy_cleanup($0) }
    }
}

/// A value produced once on a transfer thread and awaited by one task.
final class OneShot<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<Value, any Error>?
    private var waiter: CheckedContinuation<Value, any Error>?

    var isSet: Bool { lock.withLock { result != nil } }

    /// The first result wins; later ones are ignored.
    func set(_ value: Result<Value, any Error>) {
        lock.lock()
        guard result == nil else { return lock.unlock() }
        result = value
        let waiter = self.waiter
        self.waiter = nil
        lock.unlock()
        waiter?.resume(with: value)
    }

    func wait() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            if let result {
                lock.unlock()
                continuation.resume(with: result)
            } else {
                waiter = continuation
                lock.unlock()
            }
        }
    }
}
