import Foundation
import Glibc
import NIOPosix

/// Files in a folder. Every key resolves inside the root; writes go to a temporary file beside the target,
/// are fsynced and renamed into place, so a reader or a crash never leaves a partial file under the final name.
public final class LocalDriver: StorageDriver {
    public let root: String
    private let threads: NIOThreadPool
    static let chunkSize = 256 * 1024

    /// Creates the root folder when missing. `threads` runs the blocking file calls.
    public init(root: String, threads: NIOThreadPool) throws {
        let absolute = URL(fileURLWithPath: root).standardizedFileURL.path
        do {
            try FileManager.default.createDirectory(atPath: absolute, withIntermediateDirectories: true)
        } catch {
            throw StorageError.unavailable("cannot create storage root: \(error.localizedDescription)")
        }
        self.root = URL(fileURLWithPath: absolute).resolvingSymlinksInPath().path
        self.threads = threads
    }

    /// The absolute path for `key`, refusing anything that could leave the root.
    public func path(for key: String) throws -> String {
        guard !key.isEmpty, !key.hasPrefix("/"), !key.contains("\0"), !key.contains("\\"),
              !key.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." || $0 == "." || $0.isEmpty })
        else { throw StorageError.invalidKey(key) }
        let path = root + "/" + key
        // A symlinked folder inside the root must not lead out of it.
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().resolvingSymlinksInPath().path
        guard parent == root || parent.hasPrefix(root + "/") else { throw StorageError.invalidKey(key) }
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
            let resolved = URL(fileURLWithPath: target, relativeTo: URL(fileURLWithPath: parent + "/")).standardizedFileURL.path
            guard resolved.hasPrefix(root + "/") else { throw StorageError.invalidKey(key) }
        }
        return path
    }

    public func write(_ key: String, body: ByteStream) async throws -> StoredObject {
        let path = try path(for: key)
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = directory + "/.tmp-" + UUID().uuidString.lowercased()
        let fd: Int32 = try await threads.runIfActive {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw StorageError.unavailable("cannot create file (errno \(errno))") }
            return fd
        }
        do {
            for try await chunk in body where !chunk.isEmpty {
                try await threads.runIfActive { try Self.writeAll(fd, chunk) }
            }
            return try await threads.runIfActive {
                guard fsync(fd) == 0 else { throw StorageError.unavailable("fsync failed (errno \(errno))") }
                close(fd)
                guard rename(temporary, path) == 0 else { throw StorageError.unavailable("rename failed (errno \(errno))") }
                return try Self.stat(path, key: key) ?? { throw StorageError.unavailable("file vanished after write") }()
            }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
    }

    public func read(_ key: String, range: ClosedRange<Int64>?) async throws -> ByteStream? {
        let path = try path(for: key)
        let fd: Int32? = try await threads.runIfActive {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT || errno == ENOTDIR { return nil }
                throw StorageError.unavailable("cannot open file (errno \(errno))")
            }
            return fd
        }
        guard let fd else { return nil }
        let reader = FileReader(fd: fd, offset: range?.lowerBound ?? 0, end: range.map { $0.upperBound + 1 })
        let threads = self.threads
        // Pull-based: a chunk is read only when the consumer asks for it, so memory stays at one chunk.
        return ByteStream(unfolding: { try await threads.runIfActive { try reader.next() } })
    }

    public func stat(_ key: String) async throws -> StoredObject? {
        let path = try path(for: key)
        return try await threads.runIfActive { try Self.stat(path, key: key) }
    }

    @discardableResult
    public func delete(_ key: String) async throws -> Bool {
        let path = try path(for: key)
        return try await threads.runIfActive {
            if unlink(path) == 0 { return true }
            if errno == ENOENT { return false }
            throw StorageError.unavailable("delete failed (errno \(errno))")
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw StorageError.unavailable("write failed (errno \(errno))")
            }
            written += n
        }
    }

    private static func stat(_ path: String, key: String) throws -> StoredObject? {
        var info = Glibc.stat()
        if lstat(path, &info) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw StorageError.unavailable("stat failed (errno \(errno))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let seconds = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        // Size, modification time (ns) and inode change whenever a write renames a new file into place.
        let etag = "\"\(String(info.st_size, radix: 16))-\(String(info.st_mtim.tv_sec * 1_000_000_000 + info.st_mtim.tv_nsec, radix: 16))-\(String(info.st_ino, radix: 16))\""
        return StoredObject(key: key, size: Int64(info.st_size), lastModified: Date(timeIntervalSince1970: seconds), etag: etag)
    }
}

/// An open file being streamed; closes its descriptor when the stream that owns it goes away.
private final class FileReader: @unchecked Sendable {
    private let fd: Int32
    private var offset: Int64
    private let end: Int64?

    init(fd: Int32, offset: Int64, end: Int64?) {
        self.fd = fd
        self.offset = offset
        self.end = end
    }

    deinit { close(fd) }

    /// The next chunk, or nil at the end. Called by one consumer at a time.
    func next() throws -> [UInt8]? {
        let want = end.map { min(Int64(LocalDriver.chunkSize), $0 - offset) } ?? Int64(LocalDriver.chunkSize)
        if want <= 0 { return nil }
        var buffer = [UInt8](repeating: 0, count: Int(want))
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, Int(want), off_t(offset)) }
        guard n >= 0 else { throw StorageError.unavailable("read failed (errno \(errno))") }
        if n == 0 { return nil }
        buffer.removeLast(Int(want) - n)
        offset += Int64(n)
        return buffer
    }
}
