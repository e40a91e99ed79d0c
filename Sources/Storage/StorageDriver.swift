import Foundation
import NIOCore

/// What a storage location knows about a stored object.
public struct StoredObject: Sendable, Equatable {
    public let key: String
    public let size: Int64
    public let lastModified: Date
    /// A validator that changes whenever the bytes change (quoted, as in an HTTP `ETag`).
    public let etag: String
    /// The type recorded with the object, when the location keeps one (S3 does, a folder does not).
    public var contentType: String?
    /// Hex SHA-256 of the bytes; known after a write, which computes it while streaming.
    public var sha256: String?

    public init(key: String, size: Int64, lastModified: Date, etag: String, contentType: String? = nil, sha256: String? = nil) {
        self.key = key
        self.size = size
        self.lastModified = lastModified
        self.etag = etag
        self.contentType = contentType
        self.sha256 = sha256
    }
}

/// Hints for a write.
public struct WriteOptions: Sendable {
    public var contentType: String?
    /// The final size when the caller knows it (lets S3 choose its part size up front).
    public var expectedSize: Int64?

    public init(contentType: String? = nil, expectedSize: Int64? = nil) {
        self.contentType = contentType
        self.expectedSize = expectedSize
    }
}

/// One page of a listing, in key order.
public struct StorageListPage: Sendable, Equatable {
    public let keys: [String]
    /// Pass back to get the next page; `nil` on the last one.
    public let continuation: String?

    public init(keys: [String], continuation: String?) {
        self.keys = keys
        self.continuation = continuation
    }
}

/// Bytes flowing in or out of storage, a chunk at a time.
public typealias ByteStream = AsyncThrowingStream<ByteBuffer, any Error>

/// A place where files live (local folder, S3 bucket). "Not found" is `nil`, and only when confirmed;
/// a failure to reach the storage throws `StorageError.unavailable`.
public protocol StorageDriver: Sendable {
    /// Streams `body` to `key`. Readers never see a partial object; a failed or cancelled write leaves nothing behind.
    func write(_ key: String, body: ByteStream, options: WriteOptions) async throws -> StoredObject
    /// Streams the object's bytes, optionally only `range` (inclusive offsets, within the object); `nil` when it does not exist.
    func read(_ key: String, range: ClosedRange<Int64>?) async throws -> ByteStream?
    func stat(_ key: String) async throws -> StoredObject?
    /// Deletes `key`; deleting a missing object is not an error.
    func delete(_ key: String) async throws
    /// Deletes every object whose key starts with `prefix`; returns how many.
    @discardableResult func deletePrefix(_ prefix: String) async throws -> Int
    /// Keys starting with `prefix`, in key order, at most `limit` per page.
    func list(prefix: String, continuation: String?, limit: Int) async throws -> StorageListPage
    /// Copies `source` to `destination` within the location; `nil` when `source` does not exist.
    func copy(_ source: String, to destination: String) async throws -> StoredObject?
    /// Moves `source` to `destination`; `nil` when `source` does not exist.
    func move(_ source: String, to destination: String) async throws -> StoredObject?
    /// Discards what interrupted writes of `key` left that is not an object (S3: multipart uploads never
    /// completed nor aborted). A folder's temporary files carry no key: see `LocalDriver.abandonedTemporaryFiles`.
    func discardIncompleteWrites(_ key: String) async throws
}

extension StorageDriver {
    public func discardIncompleteWrites(_ key: String) async throws {}

    /// Every key starting with `prefix`, page by page.
    public func allKeys(prefix: String = "") async throws -> [String] {
        var keys: [String] = []
        var continuation: String?
        repeat {
            let page = try await list(prefix: prefix, continuation: continuation, limit: 1000)
            keys += page.keys
            continuation = page.continuation
        } while continuation != nil
        return keys
    }

    public func write(_ key: String, body: ByteStream) async throws -> StoredObject {
        try await write(key, body: body, options: WriteOptions())
    }

    /// Writes, reads back and deletes a small probe object: proves the location is usable end to end.
    public func probe() async throws {
        let key = ".depot-health-\(UUID().uuidString.lowercased())"
        let payload = ByteBuffer(string: "depot")
        _ = try await write(key, body: ByteStream { $0.yield(payload); $0.finish() })
        var readBack = ByteBuffer()
        if let stream = try await read(key, range: nil) {
            for try await var chunk in stream { readBack.writeBuffer(&chunk) }
        }
        try await delete(key)
        guard readBack == payload else { throw StorageError.unavailable("probe object read back differently") }
    }
}

public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The key is not acceptable (escapes the root, absolute, NUL …).
    case invalidKey(String)
    /// The storage could not be reached or failed; never reported as "not found".
    case unavailable(String)
    /// No location has this name.
    case unknownLocation(String)
    /// The byte stream given to a write ended with more bytes than allowed.
    case tooLarge(limit: Int64)

    public var description: String {
        switch self {
        case .invalidKey(let k): "invalid storage key \"\(k)\""
        case .unavailable(let m): "storage unavailable: \(m)"
        case .unknownLocation(let l): "unknown storage location \"\(l)\""
        case .tooLarge(let limit): "more than \(limit) bytes"
        }
    }
}
