import Foundation
import Glibc
import Synchronization

/// What a location whose objects are files on this machine offers besides streams: a path libvips can open in
/// place, and an open descriptor the server can hand to `sendfile`.
public protocol LocalFileAccess: Sendable {
    /// The absolute path of `key`, refused when it could lead out of the location.
    func path(for key: String) throws -> String
    /// Opens `key` for reading; nil when there is no such file. The object is described by `fstat` of the open
    /// descriptor, so size and ETag describe the bytes that will be read even if the key is replaced meanwhile.
    func open(_ key: String) throws -> OpenedFile?
    /// Streams an opened file's bytes (whole or one range), taking over its descriptor.
    func read(_ file: OpenedFile, range: ClosedRange<Int64>?) throws -> ByteStream
}

extension StorageDriver {
    /// The location's files on this machine, when it has them (a folder does, S3 does not).
    public var localFiles: (any LocalFileAccess)? { self as? any LocalFileAccess }
}

/// An open, read-only file and what it holds. Closes its descriptor when dropped, unless the descriptor was taken.
public final class OpenedFile: Sendable {
    public let object: StoredObject
    private let descriptor: Mutex<Int32?>
    private let location: any LocalFileAccess

    init(descriptor: Int32, object: StoredObject, location: any LocalFileAccess) {
        self.descriptor = Mutex(descriptor)
        self.object = object
        self.location = location
    }

    /// The bytes as a stream (whole or one range), for a consumer that cannot take a descriptor.
    public func stream(range: ClosedRange<Int64>?) throws -> ByteStream {
        try location.read(self, range: range)
    }

    /// Hands the descriptor over: the caller closes it from now on. nil when it was taken already.
    public func take() -> Int32? {
        descriptor.withLock { fd in
            defer { fd = nil }
            return fd
        }
    }

    deinit {
        if let fd = descriptor.withLock({ $0 }) { close(fd) }
    }
}
