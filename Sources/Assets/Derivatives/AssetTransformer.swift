import Database
import Foundation
import Logging
import NIOCore
import NIOPosix
import Storage
import Synchronization

/// The original a derivative is made from.
public struct TransformSource: Sendable {
    public let fileID: String
    public let storage: String
    public let driver: any StorageDriver
    public let key: String
    public let mediaType: String?
    public let focalPoint: FocalPoint?

    public init(fileID: String, storage: String, driver: any StorageDriver, key: String, mediaType: String?, focalPoint: FocalPoint?) {
        self.fileID = fileID
        self.storage = storage
        self.driver = driver
        self.key = key
        self.mediaType = mediaType
        self.focalPoint = focalPoint
    }
}

/// A derivative ready to serve: from storage, or — for the requests that made it — from memory.
public struct Derivative: Sendable {
    public enum Origin: Sendable { case stored, transformed, shared }

    public let record: DerivativeRecord
    /// The encoded bytes when this request made (or waited for) the transform.
    public let bytes: [UInt8]?
    public let origin: Origin
    public let varyAccept: Bool
    /// Seconds the transform took (zero for stored derivatives).
    public let duration: Double

    public var object: StoredObject {
        StoredObject(key: record.key, size: record.size, lastModified: record.created, etag: record.etag, contentType: record.type)
    }
}

/// Makes derivatives once and serves them from storage afterwards: the options hash to a key, a record says
/// whether the derivative exists, concurrent requests for a missing one share one transform, and transforms run
/// on the bounded executor under the configured limits.
public final class AssetTransformer: Sendable {
    public let configuration: AssetsConfiguration
    private let index: DerivativeIndex
    let executor: TransformExecutor
    private let flights = SingleFlight<Derivative>()
    private let pipeline: ImagePipeline
    private let logger: Logger
    /// A transform that started before its file's derivatives were removed does not record its result.
    private let generations = TransformGenerations()
    private let transforms = Mutex(0)

    public init(configuration: AssetsConfiguration, database: any Database, logger: Logger) {
        self.configuration = configuration
        self.index = DerivativeIndex(database: database)
        self.executor = TransformExecutor(maxConcurrent: configuration.maxConcurrent, maxQueue: configuration.maxQueue)
        self.pipeline = ImagePipeline(limits: configuration)
        self.logger = logger
    }

    /// How many transforms this process has run (libvips pipelines, not served derivatives).
    public var transformCount: Int { transforms.withLock { $0 } }

    /// Files with a transform running (what the process remembers about files between their transforms).
    var filesTracked: Int { generations.tracked }

    /// Transforms running or waiting now, and how many may: past `capacity` requests are refused with 503.
    public var load: (current: Int, capacity: Int) { (executor.load, executor.capacity) }

    /// The derivative for `options`, or nil when the source is not an image the pipeline transforms (the original
    /// is then served as it is). Throws AssetsError for refused or failed transforms.
    public func derivative(_ source: TransformSource, options: TransformOptions, accept: String?) async throws -> Derivative? {
        guard let format = source.mediaType.flatMap(ImageFormat.init(mediaType:)) else { return nil }
        let resolved = options.resolve(source: format, storedFocalPoint: source.focalPoint, accept: accept)
        let hash = resolved.hash
        if let record = try await index.find(file: source.fileID, hash: hash), record.storage == source.storage {
            return Derivative(record: record, bytes: nil, origin: .stored, varyAccept: resolved.varyAccept, duration: 0)
        }
        let (made, leader) = try await flights.run("\(source.fileID)/\(hash)") { [self] in
            try await make(source, resolved, hash: hash)
        }
        return leader ? made : Derivative(record: made.record, bytes: made.bytes, origin: .shared, varyAccept: made.varyAccept,
                                          duration: made.duration)
    }

    /// Drops a record whose object turned out to be missing from storage; the next request makes it again.
    public func forget(_ record: DerivativeRecord) async throws {
        try await index.remove(file: record.file, hash: record.hash)
    }

    /// Removes every derivative of a file (after a replace or a delete).
    public func removeDerivatives(fileID: String, driver: (String) throws -> any StorageDriver) async throws {
        generations.bump(fileID)
        for record in try await index.all(file: fileID) {
            try await driver(record.storage).delete(record.key)
        }
        try await index.remove(file: fileID)
    }

    /// Forgets what this process keeps about a file's derivatives (another instance removed them).
    public func evict(fileID: String) {
        index.evict(file: fileID)
    }

    /// Forgets every kept derivative record (the bus reconnected: removals may have been missed).
    public func evictAll() {
        index.memory.removeAll()
    }

    public func shutdown() async { await executor.shutdown() }

    private func make(_ source: TransformSource, _ resolved: ResolvedTransform, hash: String) async throws -> Derivative {
        let generation = generations.start(source.fileID)
        defer { generations.end(source.fileID) }
        let started = Date()
        let (input, temporary) = try await ImageInput.fetch(source.key, from: source.driver, maxBuffered: configuration.maxBufferedSource)
        defer { if let temporary { unlink(temporary) } }
        let pipeline = self.pipeline
        let image = try await executor.run(timeout: configuration.timeout) { deadline in try pipeline.run(input, resolved, deadline: deadline) }
        transforms.withLock { $0 += 1 }

        // Named after the file, not its key: a renamed `filename_disk` can't make two files' derivatives collide.
        let key = "\(source.fileID)__\(hash).\(image.format.fileExtension)"
        let stored = try await source.driver.write(key, body: .bytes(image.bytes), options: WriteOptions(contentType: image.format.mediaType))
        let record = DerivativeRecord(file: source.fileID, hash: hash, storage: source.storage, key: key, type: image.format.mediaType,
                                      size: stored.size, etag: stored.etag, width: image.width, height: image.height,
                                      created: stored.lastModified)
        if generations.isCurrent(source.fileID, generation) {
            try await index.save(record)
        } else {
            // The file changed while we worked: this derivative describes the old content.
            try? await source.driver.delete(key)
        }
        return Derivative(record: record, bytes: image.bytes, origin: .transformed, varyAccept: resolved.varyAccept,
                          duration: Date().timeIntervalSince(started))
    }
}

extension ByteStream {
    /// Bytes in memory as a stream, whole or one range.
    public static func bytes(_ bytes: [UInt8], range: ClosedRange<Int64>? = nil) -> ByteStream {
        let slice = range.map { bytes[Int($0.lowerBound)...Int($0.upperBound)] } ?? bytes[...]
        return AsyncThrowingStream { continuation in
            continuation.yield(ByteBuffer(bytes: slice))
            continuation.finish()
        }
    }
}
