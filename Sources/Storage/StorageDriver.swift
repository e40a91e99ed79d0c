import Foundation

/// What a storage location knows about a stored object.
public struct StoredObject: Sendable, Equatable {
    public let key: String
    public let size: Int64
    public let lastModified: Date
    /// A validator that changes whenever the bytes change.
    public let etag: String
}

/// Bytes flowing in or out of storage, a chunk at a time.
public typealias ByteStream = AsyncThrowingStream<[UInt8], any Error>

/// A place where files live (local folder, S3 bucket). "Not found" is `nil`/`false`, and only when confirmed;
/// a failure to reach the storage throws `StorageError.unavailable`.
public protocol StorageDriver: Sendable {
    /// Streams `body` to `key`. Readers never see a partial object; a failed write leaves nothing behind.
    func write(_ key: String, body: ByteStream) async throws -> StoredObject
    /// Streams the object's bytes, optionally only `range` (inclusive offsets); `nil` when it does not exist.
    func read(_ key: String, range: ClosedRange<Int64>?) async throws -> ByteStream?
    func stat(_ key: String) async throws -> StoredObject?
    /// Deletes `key`; returns whether it existed.
    @discardableResult func delete(_ key: String) async throws -> Bool
}

extension StorageDriver {
    /// Writes, reads back and deletes a small probe object: proves the location is usable end to end.
    public func probe() async throws {
        let key = ".depot-health-\(UUID().uuidString.lowercased())"
        let payload = Array("depot".utf8)
        _ = try await write(key, body: ByteStream { $0.yield(payload); $0.finish() })
        var readBack: [UInt8] = []
        if let stream = try await read(key, range: nil) {
            for try await chunk in stream { readBack += chunk }
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

    public var description: String {
        switch self {
        case .invalidKey(let k): "invalid storage key \"\(k)\""
        case .unavailable(let m): "storage unavailable: \(m)"
        case .unknownLocation(let l): "unknown storage location \"\(l)\""
        }
    }
}
