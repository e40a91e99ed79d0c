import Foundation
import NIOCore
import NIOPosix
import Storage

/// A private temporary file: an import's upload is streamed into it before one transaction reads it back row
/// by row, and an export is assembled in it before it is stored. Its file calls block, so the async ones run on
/// NIO's blocking-IO pool; the synchronous reader is for code already on a database thread.
final class SpoolFile: Sendable {
    let path: String
    private let threads: NIOThreadPool

    private init(path: String, threads: NIOThreadPool) {
        self.path = path
        self.threads = threads
    }

    /// An empty file readable and writable by this process only.
    static func create(threads: NIOThreadPool = .singleton) async throws -> SpoolFile {
        let path = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("depot-spool-" + UUID().uuidString.lowercased()).path
        try await threads.runIfActive {
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw CMSError(code: "INTERNAL_SERVER_ERROR", status: 500, message: "An unexpected error occurred.") }
            close(fd)
        }
        return SpoolFile(path: path, threads: threads)
    }

    /// Streams `body` into a new spool file; more than `limit` bytes is CONTENT_TOO_LARGE and leaves nothing.
    static func receive(_ body: ByteStream, limit: Int64?) async throws -> SpoolFile {
        let file = try await create()
        do {
            var size: Int64 = 0
            let writer = try await file.writer()
            defer { try? writer.handle.close() }
            for try await chunk in body {
                size += Int64(chunk.readableBytes)
                if let limit, size > limit {
                    throw CMSError(code: "CONTENT_TOO_LARGE", status: 413, message: "Uploaded content is too large (limit \(limit) bytes).")
                }
                try await file.threads.runIfActive { try writer.handle.write(contentsOf: Array(chunk.readableBytesView)) }
            }
            return file
        } catch {
            file.remove()
            throw error
        }
    }

    /// A handle that appends to the file; its writes block (run them with `run`).
    func writer() async throws -> HandleBox {
        try await threads.runIfActive { [path] in
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
            return HandleBox(handle)
        }
    }

    /// Appends `bytes` (opening and closing the file: for a few large pieces, not for many small ones).
    func append(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await threads.runIfActive { [path] in
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: bytes)
        }
    }

    /// Runs blocking file work on the pool.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threads.runIfActive(body)
    }

    /// The file's bytes as a stream, read on the pool a chunk at a time.
    func stream(chunkSize: Int = 64 << 10) async throws -> ByteStream {
        let box = try await threads.runIfActive { [path] in HandleBox(try FileHandle(forReadingFrom: URL(fileURLWithPath: path))) }
        let threads = self.threads
        return ByteStream(unfolding: {
            let data = try await threads.runIfActive { try box.handle.read(upToCount: chunkSize) }
            guard let data, !data.isEmpty else {
                try? box.handle.close()
                return nil
            }
            return ByteBuffer(bytes: data)
        })
    }

    /// Deletes the file (a missing one is fine).
    func remove() { unlink(path) }
}

/// A file handle handed between the pool's threads, used by one reader or writer at a time.
final class HandleBox: @unchecked Sendable {
    let handle: FileHandle
    init(_ handle: FileHandle) { self.handle = handle }
}

/// Reads a file sequentially in chunks on the calling thread (a database thread: the reads block).
struct FileChunks {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var index = 0
    private var ended = false

    init(path: String) throws {
        handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    }

    /// The next byte without consuming it; nil at the end of the file.
    mutating func peek() throws -> UInt8? {
        if index == buffer.count {
            guard !ended else { return nil }
            buffer = Array(try handle.read(upToCount: 64 << 10) ?? Data())
            index = 0
            if buffer.isEmpty {
                ended = true
                try? handle.close()
                return nil
            }
        }
        return buffer[index]
    }

    mutating func next() throws -> UInt8? {
        guard let byte = try peek() else { return nil }
        index += 1
        return byte
    }
}
