import Crypto
import NIOCore

/// Size and SHA-256 of bytes as they stream through a write.
struct StreamDigest {
    private var hasher = SHA256()
    private(set) var count: Int64 = 0

    mutating func update(_ chunk: ByteBuffer) {
        chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        count += Int64(chunk.readableBytes)
    }

    func finalize() -> String {
        Hex.encode(hasher.finalize())
    }
}
