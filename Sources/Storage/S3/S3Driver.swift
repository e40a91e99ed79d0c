import Crypto
import Foundation
import NIOCore

/// Objects in an S3 bucket (AWS or a compatible server), spoken to through libcurl with Signature V4.
/// Uploads stream: small objects go up in one PUT, larger ones as a multipart upload holding at most
/// two parts in memory; downloads stream chunk by chunk.
public final class S3Driver: StorageDriver {
    public let configuration: S3Configuration
    private let session: CurlSession
    private let signer: SigV4Signer
    private let scheme: String
    private let endpointHost: String   // host[:port]
    private let root: String

    public init(_ configuration: S3Configuration, session: CurlSession) throws {
        let endpoint = configuration.endpoint ?? "https://s3.\(configuration.region).amazonaws.com"
        guard let url = URLComponents(string: endpoint), let scheme = url.scheme, ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty else {
            throw StorageError.unavailable("S3 endpoint \"\(endpoint)\" is not an http(s) URL")
        }
        guard !configuration.bucket.isEmpty else { throw StorageError.unavailable("S3 bucket is not set") }
        self.configuration = configuration
        self.session = session
        self.signer = SigV4Signer(accessKey: configuration.key, secretKey: configuration.secret, region: configuration.region, service: "s3")
        self.scheme = scheme
        self.endpointHost = url.port.map { "\(host):\($0)" } ?? host
        self.root = configuration.root.split(separator: "/").joined(separator: "/")
    }

    // MARK: StorageDriver

    public func write(_ key: String, body: ByteStream, options: WriteOptions) async throws -> StoredObject {
        let objectKey = try objectKey(key)
        var digest = StreamDigest()
        var partSize = initialPartSize(options.expectedSize)
        var buffer = ByteBuffer()
        var upload: MultipartUpload?
        do {
            for try await var chunk in body {
                digest.update(chunk)
                buffer.writeBuffer(&chunk)
                while buffer.readableBytes >= partSize {
                    let part = buffer.readSlice(length: partSize)!
                    buffer = ByteBuffer(buffer: buffer)   // the part keeps the old storage until it is sent
                    if upload == nil { upload = try await startMultipart(objectKey, options) }
                    try await upload!.add(part)
                    partSize = nextPartSize(partSize, parts: upload!.count, expected: options.expectedSize)
                }
            }
            try Task.checkCancellation()
            let etag: String
            if let upload {
                if buffer.readableBytes > 0 { try await upload.add(buffer) }
                etag = try await complete(upload)
            } else {
                etag = try await putObject(objectKey, buffer, options)
            }
            return StoredObject(key: key, size: digest.count, lastModified: Date(), etag: etag,
                                contentType: options.contentType, sha256: digest.finalize())
        } catch {
            if let upload { await abort(upload) }
            throw error
        }
    }

    public func read(_ key: String, range: ClosedRange<Int64>?) async throws -> ByteStream? {
        let objectKey = try objectKey(key)
        var headers: [(String, String)] = []
        if let range { headers.append(("Range", "bytes=\(range.lowerBound)-\(range.upperBound)")) }
        var last: (CurlResponseHead, ByteBuffer)?
        let outcome: ByteStream?? = try await withRetries { () -> ByteStream?? in
            let request = self.request("GET", objectKey, headers: headers)
            let (head, stream, body) = try await self.session.stream(request) { $0.status == 200 || $0.status == 206 }
            if let stream { return .some(stream) }
            if head.status == 404, self.errorCode(body) == "NoSuchKey" { return .some(nil) }
            if self.isRetryable(head.status, body) {
                last = (head, body)
                return nil
            }
            throw self.failure(head, body)
        }
        guard let outcome else { throw failure(last!.0, last!.1) }
        return outcome
    }

    public func stat(_ key: String) async throws -> StoredObject? {
        let objectKey = try objectKey(key)
        let (head, body) = try await send("HEAD", objectKey)
        if head.status == 404 { return nil }
        guard head.status == 200 else { throw failure(head, body) }
        return StoredObject(key: key, size: Int64(head.header("Content-Length") ?? "") ?? 0,
                            lastModified: head.header("Last-Modified").flatMap(HTTPDate.parse) ?? Date(),
                            etag: head.header("ETag") ?? "\"\"", contentType: head.header("Content-Type"))
    }

    public func delete(_ key: String) async throws {
        let (head, body) = try await send("DELETE", try objectKey(key))
        guard head.status == 204 || head.status == 200 || (head.status == 404 && errorCode(body) == "NoSuchKey") else {
            throw failure(head, body)
        }
    }

    @discardableResult
    public func deletePrefix(_ prefix: String) async throws -> Int {
        var deleted = 0
        while true {
            let page = try await list(prefix: prefix, continuation: nil, limit: 1000)
            if page.keys.isEmpty { return deleted }
            let objects = try page.keys.map { "<Object><Key>\(S3XML.escape(try objectKey($0)))</Key></Object>" }.joined()
            let xml = ByteBuffer(string: "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>\(objects)</Delete>")
            let md5 = Data(Insecure.MD5.hash(data: Data(xml.readableBytesView))).base64EncodedString()
            let (head, body) = try await send("POST", nil, query: [("delete", "")],
                                              headers: [("Content-MD5", md5), ("Content-Type", "application/xml")], body: xml)
            let text = String(buffer: body)
            guard head.status == 200, S3XML.value("Error", in: text) == nil else { throw failure(head, body) }
            deleted += page.keys.count
        }
    }

    public func list(prefix: String, continuation: String?, limit: Int) async throws -> StorageListPage {
        var query = [("list-type", "2"), ("prefix", try fullPrefix(prefix)), ("max-keys", String(max(1, min(limit, 1000))))]
        if let continuation { query.append(("continuation-token", continuation)) }
        let (head, body) = try await send("GET", nil, query: query)
        guard head.status == 200 else { throw failure(head, body) }
        let xml = String(buffer: body)
        let strip = root.isEmpty ? 0 : root.count + 1
        let keys = S3XML.values("Key", in: xml).map { String($0.dropFirst(strip)) }
        let truncated = S3XML.value("IsTruncated", in: xml) == "true"
        return StorageListPage(keys: keys, continuation: truncated ? S3XML.value("NextContinuationToken", in: xml) : nil)
    }

    public func copy(_ source: String, to destination: String) async throws -> StoredObject? {
        let from = try objectKey(source)
        let (head, body) = try await send("PUT", try objectKey(destination), headers: [
            ("x-amz-copy-source", "/\(configuration.bucket)/\(SigV4Signer.encode(from, keepSlash: true))"),
        ] + uploadHeaders(nil))
        if head.status == 404, errorCode(body) == "NoSuchKey" { return nil }
        // S3 may answer 200 and still report a failure in the body.
        guard head.status == 200, S3XML.value("Code", in: String(buffer: body)) == nil else { throw failure(head, body) }
        return try await stat(destination)
    }

    public func move(_ source: String, to destination: String) async throws -> StoredObject? {
        guard let copied = try await copy(source, to: destination) else { return nil }
        try await delete(source)
        return copied
    }

    /// Creates the bucket when it does not exist yet (set-up and tests; a running server never creates buckets).
    public func createBucketIfMissing() async throws {
        let (head, body) = try await send("PUT", nil)
        guard head.status == 200 || errorCode(body) == "BucketAlreadyOwnedByYou" else { throw failure(head, body) }
    }

    /// Keys of multipart uploads started and neither completed nor aborted (left by a crash).
    public func incompleteUploads() async throws -> [String] {
        let (head, body) = try await send("GET", nil, query: [("uploads", ""), ("prefix", try fullPrefix(""))])
        guard head.status == 200 else { throw failure(head, body) }
        return S3XML.values("Key", in: String(buffer: body))
    }

    /// Aborts the multipart uploads of `key` that were never completed (a writer that crashed mid-upload).
    public func discardIncompleteWrites(_ key: String) async throws {
        let objectKey = try objectKey(key)
        let (head, body) = try await send("GET", nil, query: [("uploads", ""), ("prefix", objectKey)])
        guard head.status == 200 else { throw failure(head, body) }
        for upload in S3XML.values("Upload", in: String(buffer: body)) {
            guard S3XML.value("Key", in: upload) == objectKey, let id = S3XML.value("UploadId", in: upload) else { continue }
            let (head, body) = try await send("DELETE", objectKey, query: [("uploadId", id)])
            guard head.status == 204 || head.status == 200 || errorCode(body) == "NoSuchUpload" else { throw failure(head, body) }
        }
    }

    // MARK: Single PUT and multipart upload

    private func uploadHeaders(_ options: WriteOptions?) -> [(String, String)] {
        var headers: [(String, String)] = []
        if let type = options?.contentType { headers.append(("Content-Type", type)) }
        if let acl = configuration.acl { headers.append(("x-amz-acl", acl)) }
        if let sse = configuration.serverSideEncryption { headers.append(("x-amz-server-side-encryption", sse)) }
        return headers
    }

    private func putObject(_ objectKey: String, _ body: ByteBuffer, _ options: WriteOptions) async throws -> String {
        let (head, response) = try await send("PUT", objectKey, headers: uploadHeaders(options), body: body)
        guard head.status == 200 else { throw failure(head, response) }
        return head.header("ETag") ?? "\"\""
    }

    private func startMultipart(_ objectKey: String, _ options: WriteOptions) async throws -> MultipartUpload {
        let (head, body) = try await send("POST", objectKey, query: [("uploads", "")], headers: uploadHeaders(options))
        guard head.status == 200, let id = S3XML.value("UploadId", in: String(buffer: body)) else { throw failure(head, body) }
        return MultipartUpload(key: objectKey, id: id, driver: self)
    }

    fileprivate func uploadPart(_ upload: MultipartUpload, number: Int, _ part: ByteBuffer) async throws -> String {
        let (head, body) = try await send("PUT", upload.key, query: [("partNumber", String(number)), ("uploadId", upload.id)], body: part)
        guard head.status == 200, let etag = head.header("ETag") else { throw failure(head, body) }
        return etag
    }

    private func complete(_ upload: MultipartUpload) async throws -> String {
        let etags = try await upload.finish()
        let parts = etags.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\(S3XML.escape($0.element))</ETag></Part>" }
        let xml = ByteBuffer(string: "<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>")
        let (head, body) = try await send("POST", upload.key, query: [("uploadId", upload.id)],
                                          headers: [("Content-Type", "application/xml")], body: xml)
        let text = String(buffer: body)
        guard head.status == 200, S3XML.value("Code", in: text) == nil else { throw failure(head, body) }
        return S3XML.value("ETag", in: text) ?? "\"\""
    }

    private func abort(_ upload: MultipartUpload) async {
        await upload.cancel()
        // Cancellation of the caller must not stop the clean-up.
        _ = try? await Task { try await send("DELETE", upload.key, query: [("uploadId", upload.id)]) }.value
    }

    /// Big enough for the expected size to fit in 10,000 parts, with room to spare.
    private func initialPartSize(_ expected: Int64?) -> Int {
        let floor = max(configuration.partSize, S3Configuration.minimumPartSize)
        guard let expected else { return floor }
        let needed = Int((expected + 8_999) / 9_000)
        return max(floor, (needed + 1_048_575) / 1_048_576 * 1_048_576)
    }

    /// Without a known size, doubling the part size every 1,000 parts lets any object fit in 10,000 parts.
    private func nextPartSize(_ current: Int, parts: Int, expected: Int64?) -> Int {
        guard expected == nil, parts > 0, parts % 1_000 == 0 else { return current }
        return min(current * 2, 5 * 1024 * 1024 * 1024)
    }

    // MARK: Requests

    private func objectKey(_ key: String) throws -> String {
        // A `..` segment would leave the root once a URL path is normalised.
        guard StorageKey.isValid(key) else { throw StorageError.invalidKey(key) }
        return root.isEmpty ? key : root + "/" + key
    }

    private func fullPrefix(_ prefix: String) throws -> String {
        guard !prefix.contains("\0") else { throw StorageError.invalidKey(prefix) }
        return root.isEmpty ? prefix : root + "/" + prefix
    }

    private func request(_ method: String, _ objectKey: String?, query: [(String, String)] = [],
                         headers: [(String, String)] = [], body: ByteBuffer? = nil) -> CurlRequest {
        let bucket = configuration.bucket
        let host = configuration.forcePathStyle ? endpointHost : "\(bucket).\(endpointHost)"
        var path = configuration.forcePathStyle ? "/\(SigV4Signer.encode(bucket))" : ""
        if let objectKey { path += "/" + SigV4Signer.encode(objectKey, keepSlash: true) }
        if path.isEmpty { path = "/" }
        let queryString = query.map { $0.1.isEmpty ? SigV4Signer.encode($0.0) : "\(SigV4Signer.encode($0.0))=\(SigV4Signer.encode($0.1))" }
            .joined(separator: "&")
        let signed = signer.sign(method: method, path: path, query: query,
                                 headers: headers + [("Host", host), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD")],
                                 payloadHash: "UNSIGNED-PAYLOAD", date: Date())
        var request = CurlRequest(method: method, url: "\(scheme)://\(host)\(path)\(queryString.isEmpty ? "" : "?" + queryString)",
                                  headers: signed, body: body)
        request.connectTimeoutMilliseconds = configuration.connectTimeoutMilliseconds
        request.stallTimeoutSeconds = max(1, configuration.socketTimeoutMilliseconds / 1000)
        return request
    }

    /// One request with a collected response, retried on transient failures.
    private func send(_ method: String, _ objectKey: String?, query: [(String, String)] = [],
                      headers: [(String, String)] = [], body: ByteBuffer? = nil) async throws -> (CurlResponseHead, ByteBuffer) {
        var last: (CurlResponseHead, ByteBuffer)?
        let result = try await withRetries { () -> (CurlResponseHead, ByteBuffer)? in
            let response = try await self.session.fetch(self.request(method, objectKey, query: query, headers: headers, body: body))
            if self.isRetryable(response.0.status, response.1) {
                last = response
                return nil
            }
            return response
        }
        return result ?? last!
    }

    /// Runs `attempt` until it gives a value, at most `maxAttempts` times, sleeping a jittered, growing
    /// delay between tries; `nil` from `attempt` means "retryable answer". Transient network errors retry too.
    private func withRetries<T>(_ attempt: () async throws -> T?) async throws -> T? {
        var lastError: (any Error)?
        for number in 0..<max(1, configuration.maxAttempts) {
            if number > 0 {
                let ceiling = min(2_000, 100 << (number - 1))
                try await Task.sleep(for: .milliseconds(Int.random(in: ceiling / 2...ceiling)))
            }
            do {
                if let value = try await attempt() { return value }
                lastError = nil
            } catch let error as CurlError where error.isTransient {
                lastError = StorageError.unavailable("S3 request failed: \(error)")
            }
        }
        if let lastError { throw lastError }
        return nil
    }

    private func isRetryable(_ status: Int, _ body: ByteBuffer) -> Bool {
        status >= 500 || status == 429 || ["SlowDown", "RequestTimeout"].contains(errorCode(body) ?? "")
    }

    private func errorCode(_ body: ByteBuffer) -> String? {
        S3XML.value("Code", in: String(buffer: body))
    }

    private func failure(_ head: CurlResponseHead, _ body: ByteBuffer) -> StorageError {
        let text = String(buffer: body)
        let code = S3XML.value("Code", in: text) ?? "HTTP \(head.status)"
        let message = S3XML.value("Message", in: text).map { ": \($0)" } ?? ""
        return .unavailable("S3 answered \(head.status) \(code)\(message)")
    }
}

/// A multipart upload in progress: one part in flight while the next one fills.
private final class MultipartUpload: @unchecked Sendable {
    let key: String
    let id: String
    private unowned let driver: S3Driver
    private var etags: [String] = []
    private var inFlight: Task<String, any Error>?
    private(set) var count = 0

    init(key: String, id: String, driver: S3Driver) {
        self.key = key
        self.id = id
        self.driver = driver
    }

    func add(_ part: ByteBuffer) async throws {
        if let inFlight { etags.append(try await inFlight.value) }
        count += 1
        let number = count
        inFlight = Task { [driver] in try await driver.uploadPart(self, number: number, part) }
    }

    func finish() async throws -> [String] {
        if let inFlight { etags.append(try await inFlight.value) }
        inFlight = nil
        return etags
    }

    func cancel() async {
        inFlight?.cancel()
        _ = try? await inFlight?.value
    }
}
