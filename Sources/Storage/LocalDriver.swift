import Foundation
import Glibc
import NIOCore
import NIOPosix

/// Files in a folder. Every key resolves inside the root; writes go to a temporary file beside the target,
/// are fsynced and renamed into place, so a reader or a crash never leaves a partial file under the final name.
public final class LocalDriver: StorageDriver, LocalFileAccess {
    public let root: String
    private let threads: NIOThreadPool
    /// The root folder, open: one-component keys are opened relative to it.
    private let rootDescriptor: Int32
    static let chunkSize = 256 * 1024
    static let allocator = ByteBufferAllocator()

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
        rootDescriptor = Glibc.open(self.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootDescriptor >= 0 else { throw StorageError.unavailable("cannot open storage root (errno \(errno))") }
    }

    deinit { close(rootDescriptor) }

    /// The absolute path for `key`, refusing anything that could leave the root.
    public func path(for key: String) throws -> String {
        guard StorageKey.isValid(key) else { throw StorageError.invalidKey(key) }
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

    public func write(_ key: String, body: ByteStream, options: WriteOptions) async throws -> StoredObject {
        let path = try path(for: key)
        let directory = (path as NSString).deletingLastPathComponent
        // Named after the writer, so that a later process can tell a dead writer's leftovers from a live one's.
        let temporary = directory + "/" + Self.temporaryPrefix + WriterIdentity.current.tag + "-" + UUID().uuidString.lowercased()
        let fd: Int32 = try await threads.runIfActive {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw StorageError.unavailable("cannot create file (errno \(errno))") }
            return fd
        }
        var digest = StreamDigest()
        do {
            // Small chunks (a multipart parser splits at every possible boundary) are gathered so that each
            // trip to the file thread writes at least a chunk's worth.
            var pending = ByteBuffer()
            for try await var chunk in body where chunk.readableBytes > 0 {
                digest.update(chunk)
                pending.writeBuffer(&chunk)
                if pending.readableBytes >= Self.chunkSize {
                    let full = pending
                    pending = ByteBuffer()
                    try await threads.runIfActive { try Self.writeAll(fd, full) }
                }
            }
            if pending.readableBytes > 0 {
                let rest = pending
                try await threads.runIfActive { try Self.writeAll(fd, rest) }
            }
            try Task.checkCancellation()
            var stored = try await threads.runIfActive {
                guard fsync(fd) == 0 else { throw StorageError.unavailable("fsync failed (errno \(errno))") }
                close(fd)
                guard rename(temporary, path) == 0 else { throw StorageError.unavailable("rename failed (errno \(errno))") }
                return try Self.stat(path, key: key) ?? { throw StorageError.unavailable("file vanished after write") }()
            }
            stored.sha256 = digest.finalize()
            return stored
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
    }

    public func read(_ key: String, range: ClosedRange<Int64>?) async throws -> ByteStream? {
        guard let file = try await threads.runIfActive({ try self.open(key) }) else { return nil }
        return try read(file, range: range)
    }

    public func read(_ file: OpenedFile, range: ClosedRange<Int64>?) throws -> ByteStream {
        guard let fd = file.take() else { throw StorageError.unavailable("the file was handed over already") }
        let reader = FileReader(fd: fd, offset: range?.lowerBound ?? 0, end: range.map { $0.upperBound + 1 })
        let threads = self.threads
        // Pull-based: a chunk is read only when the consumer asks for it, so memory stays at one chunk.
        return ByteStream(unfolding: { try await threads.runIfActive { try reader.next() } })
    }

    public func open(_ key: String) throws -> OpenedFile? {
        // A key of one component, opened relative to the root without following a link, cannot leave the root:
        // that common case skips `path(for:)`'s resolution of links (several system calls and Foundation work).
        let flat = StorageKey.isValid(key) && !key.utf8.contains(UInt8(ascii: "/"))
        var fd = flat ? openat(rootDescriptor, key, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1
        if !flat || (fd < 0 && errno == ELOOP) {
            let path = try path(for: key)
            fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        }
        if fd < 0 {
            if errno == ENOENT || errno == ENOTDIR || errno == EISDIR { return nil }
            throw StorageError.unavailable("cannot open file (errno \(errno))")
        }
        var info = Glibc.stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return nil
        }
        return OpenedFile(descriptor: fd, object: Self.object(info, key: key), location: self)
    }

    public func stat(_ key: String) async throws -> StoredObject? {
        let path = try path(for: key)
        return try await threads.runIfActive { try Self.stat(path, key: key) }
    }

    public func delete(_ key: String) async throws {
        let path = try path(for: key)
        try await threads.runIfActive { try Self.unlinkIfPresent(path) }
    }

    @discardableResult
    public func deletePrefix(_ prefix: String) async throws -> Int {
        let keys = try await keys(withPrefix: prefix)
        return try await threads.runIfActive {
            for key in keys { try Self.unlinkIfPresent(self.root + "/" + key) }
            return keys.count
        }
    }

    public func list(prefix: String, continuation: String?, limit: Int) async throws -> StorageListPage {
        let keys = try await keys(withPrefix: prefix)
        let start = continuation.map { after in keys.firstIndex { $0 > after } ?? keys.endIndex } ?? keys.startIndex
        let page = Array(keys[start...].prefix(max(1, limit)))
        let more = start + page.count < keys.endIndex
        return StorageListPage(keys: page, continuation: more ? page.last : nil)
    }

    public func copy(_ source: String, to destination: String) async throws -> StoredObject? {
        guard let body = try await read(source, range: nil) else { return nil }
        return try await write(destination, body: body)
    }

    public func move(_ source: String, to destination: String) async throws -> StoredObject? {
        let from = try path(for: source)
        let to = try path(for: destination)
        return try await threads.runIfActive {
            try FileManager.default.createDirectory(atPath: (to as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if Glibc.rename(from, to) != 0 {
                if errno == ENOENT { return nil }
                throw StorageError.unavailable("rename failed (errno \(errno))")
            }
            return try Self.stat(to, key: destination)
        }
    }

    /// Every stored key under `prefix`, sorted; temporary files of writes in progress are not keys.
    private func keys(withPrefix prefix: String) async throws -> [String] {
        guard !prefix.contains("\0"), !prefix.hasPrefix("/"), !prefix.split(separator: "/").contains("..") else {
            throw StorageError.invalidKey(prefix)
        }
        // Only the folder the prefix points into needs walking.
        let folder = prefix.contains("/") ? String(prefix[..<prefix.lastIndex(of: "/")!]) : ""
        let root = self.root
        return try await threads.runIfActive {
            let start = folder.isEmpty ? root : root + "/" + folder
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: start, isDirectory: &isDirectory), isDirectory.boolValue else { return [] }
            guard let walker = FileManager.default.enumerator(atPath: start) else {
                throw StorageError.unavailable("cannot list \(start)")
            }
            var keys: [String] = []
            while let relative = walker.nextObject() as? String {
                let key = folder.isEmpty ? relative : folder + "/" + relative
                guard key.hasPrefix(prefix), !(relative as NSString).lastPathComponent.hasPrefix(Self.temporaryPrefix) else { continue }
                var info = Glibc.stat()
                if lstat(root + "/" + key, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { keys.append(key) }
            }
            return keys.sorted()
        }
    }

    static let temporaryPrefix = ".tmp-"

    /// A temporary file left by a write that will not finish.
    public struct AbandonedFile: Sendable, Equatable {
        /// Path relative to the root (a valid key for `delete`).
        public let path: String
        public let size: Int64
        public let lastModified: Date
    }

    /// Temporary files (`.tmp-*`, anywhere under the root) of writes that will never complete: left by a writer
    /// of this host that is gone (an earlier process with this one's id: last written before it started), or
    /// untouched for `staleAfter` seconds (a writer on another host, or a name without a writer tag). A live
    /// writer keeps touching its file, and one of another instance on the same volume is never taken for dead
    /// before the age limit.
    public func abandonedTemporaryFiles(staleAfter: TimeInterval, identity: WriterIdentity = .current) async throws -> [AbandonedFile] {
        let root = self.root
        let now = Date()
        return try await threads.runIfActive {
            guard let walker = FileManager.default.enumerator(atPath: root) else { throw StorageError.unavailable("cannot list \(root)") }
            var found: [AbandonedFile] = []
            while let relative = walker.nextObject() as? String {
                let name = (relative as NSString).lastPathComponent
                guard name.hasPrefix(Self.temporaryPrefix) else { continue }
                var info = Glibc.stat()
                guard lstat(root + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
                let modified = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
                if identity.hasAbandoned(Self.writerTag(of: name), lastTouched: modified, staleAfter: staleAfter, now: now) {
                    found.append(AbandonedFile(path: relative, size: Int64(info.st_size), lastModified: modified))
                }
            }
            return found.sorted { $0.path < $1.path }
        }
    }

    /// `pid@host` of a temporary file named `.tmp-<pid>@<host>-<uuid>`; nil for other names.
    static func writerTag(of name: String) -> Substring? {
        let body = name.dropFirst(temporaryPrefix.count)
        guard body.count > 37, body.dropLast(36).last == "-", UUID(uuidString: String(body.suffix(36))) != nil else { return nil }
        return body.dropLast(37)
    }

    private static func unlinkIfPresent(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT {
            throw StorageError.unavailable("delete failed (errno \(errno))")
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: ByteBuffer) throws {
        var written = 0
        while written < bytes.readableBytes {
            let n = bytes.withUnsafeReadableBytes { Foundation.write(fd, $0.baseAddress! + written, $0.count - written) }
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
        return object(info, key: key)
    }

    private static func object(_ info: Glibc.stat, key: String) -> StoredObject {
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
    func next() throws -> ByteBuffer? {
        let want = end.map { min(Int64(LocalDriver.chunkSize), $0 - offset) } ?? Int64(LocalDriver.chunkSize)
        if want <= 0 { return nil }
        var buffer = LocalDriver.allocator.buffer(capacity: Int(want))
        var failed = false
        let n = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Int(want)) { raw in
            let n = pread(fd, raw.baseAddress, Int(want), off_t(offset))
            failed = n < 0
            return max(n, 0)
        }
        guard !failed else { throw StorageError.unavailable("read failed (errno \(errno))") }
        if n == 0 { return nil }
        offset += Int64(n)
        return buffer
    }
}
