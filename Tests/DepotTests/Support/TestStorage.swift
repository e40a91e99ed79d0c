import Crypto
import Foundation
import NIOCore
import NIOPosix
import Storage
import Testing

/// The drivers the storage conformance suite runs against.
enum StorageKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case local, s3
    var testDescription: String { rawValue }
}

enum TestStorage {
    static var s3Endpoint: String? { TestServices.environment["DEPOT_TEST_S3"] }

    /// The S3 options for a fresh bucket on the test server (moto accepts any credentials).
    static func s3Configuration(bucket: String = "depot-test-" + UUID().uuidString.lowercased().prefix(12)) -> S3Configuration? {
        guard let endpoint = TestServices.available(s3Endpoint, name: "S3 test server") else { return nil }
        var configuration = S3Configuration(key: "depot-test", secret: "depot-test-secret", bucket: bucket)
        configuration.endpoint = endpoint
        configuration.forcePathStyle = true
        configuration.partSize = S3Configuration.minimumPartSize
        return configuration
    }

    /// Runs `body` with an empty location of `kind`, then removes what it left; skips S3 when the server is not there.
    static func with(_ kind: StorageKind, _ body: (any StorageDriver) async throws -> Void) async throws {
        switch kind {
        case .local:
            let dir = try TempDirectory.make()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try await body(LocalDriver(root: dir + "/root", threads: NIOThreadPool.singleton))
        case .s3:
            guard let configuration = s3Configuration() else { return }
            let session = CurlSession(threads: 16)
            let driver = try S3Driver(configuration, session: session)
            try await driver.createBucketIfMissing()
            do {
                try await body(driver)
            } catch {
                _ = try? await driver.deletePrefix("")
                await session.shutdown()
                throw error
            }
            _ = try? await driver.deletePrefix("")
            await session.shutdown()
        }
    }

    /// Deterministic pseudo-random bytes.
    static func bytes(_ count: Int, seed: UInt64 = 1) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(count)
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var remaining = count
        while remaining >= 8 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            buffer.writeInteger(state)
            remaining -= 8
        }
        for _ in 0..<remaining { buffer.writeInteger(UInt8(truncatingIfNeeded: state)); state = state &* 31 &+ 7 }
        return buffer
    }

    /// `bytes` as a stream of `chunk`-sized pieces.
    static func stream(_ bytes: ByteBuffer, chunk: Int = 64 * 1024) -> ByteStream {
        ByteStream { continuation in
            var rest = bytes
            while rest.readableBytes > 0 { continuation.yield(rest.readSlice(length: min(chunk, rest.readableBytes))!) }
            continuation.finish()
        }
    }

    static func collect(_ stream: ByteStream?) async throws -> ByteBuffer? {
        guard let stream else { return nil }
        var out = ByteBuffer()
        for try await var chunk in stream { out.writeBuffer(&chunk) }
        return out
    }

    static func sha256(_ buffer: ByteBuffer) -> String {
        SHA256.hash(data: Data(buffer.readableBytesView)).map { String(format: "%02x", $0) }.joined()
    }

    /// SHA-256 and size of a stream, without keeping it.
    static func digest(_ stream: ByteStream?) async throws -> (String, Int)? {
        guard let stream else { return nil }
        var hasher = SHA256()
        var size = 0
        for try await chunk in stream {
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            size += chunk.readableBytes
        }
        return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), size)
    }
}
