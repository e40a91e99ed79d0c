import NIOCore
import Storage

/// An upload on its way to storage: its first bytes are read ahead (to sniff the type before anything is
/// written), its size is bounded, and its first 512 KiB are kept for reading image headers.
final class IngestStream: @unchecked Sendable {
    static let sniffBytes = 4096
    static let prefixBytes = 512 * 1024

    private var iterator: ByteStream.AsyncIterator
    private var pending: [ByteBuffer] = []
    private let limit: Int64?
    private(set) var prefix: [UInt8] = []
    private(set) var count: Int64 = 0

    init(_ body: ByteStream, limit: Int64?) {
        self.iterator = body.makeAsyncIterator()
        self.limit = limit
    }

    /// Reads ahead until `sniffBytes` (or the end) and returns those first bytes.
    func head() async throws -> [UInt8] {
        var head: [UInt8] = []
        while head.count < Self.sniffBytes, let chunk = try await iterator.next() {
            pending.append(chunk)
            head += chunk.readableBytesView
        }
        return head
    }

    /// The whole body, the read-ahead included; throws `StorageError.tooLarge` past the limit.
    func stream() -> ByteStream {
        ByteStream(unfolding: { try await self.next() })
    }

    private func next() async throws -> ByteBuffer? {
        let chunk: ByteBuffer?
        if !pending.isEmpty { chunk = pending.removeFirst() } else { chunk = try await iterator.next() }
        guard let chunk else { return nil }
        count += Int64(chunk.readableBytes)
        if let limit, count > limit { throw StorageError.tooLarge(limit: limit) }
        if prefix.count < Self.prefixBytes { prefix += chunk.readableBytesView.prefix(Self.prefixBytes - prefix.count) }
        return chunk
    }
}
