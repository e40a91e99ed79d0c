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
    /// Decodes of a source shared by the transforms asked of it meanwhile.
    private let decodeFlights = SingleFlight<DecodeOutcome>()
    let sources: DecodedSources
    private let pipeline: ImagePipeline
    private let logger: Logger
    /// A transform that started before its file's derivatives were removed does not record its result.
    private let generations = TransformGenerations()
    private let transforms = Mutex(0)
    private let decodes = Mutex(0)

    public init(configuration: AssetsConfiguration, database: any Database, logger: Logger) {
        self.configuration = configuration
        self.index = DerivativeIndex(database: database)
        self.executor = TransformExecutor(maxConcurrent: configuration.maxConcurrent, maxQueue: configuration.maxQueue)
        self.pipeline = ImagePipeline(limits: configuration)
        self.sources = DecodedSources(maxBytes: configuration.sourceCacheMaxMemory, lifetime: configuration.sourceCacheTTL)
        self.logger = logger
    }

    /// How many transforms this process has run (libvips pipelines, not served derivatives).
    public var transformCount: Int { transforms.withLock { $0 } }

    /// How many times this process has decoded a source (a level shared by several transforms counts once).
    var decodeCount: Int { decodes.withLock { $0 } }

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
            // Made and recorded by a flight that ended after this request looked.
            if let record = try await index.find(file: source.fileID, hash: hash), record.storage == source.storage {
                return Derivative(record: record, bytes: nil, origin: .stored, varyAccept: resolved.varyAccept, duration: 0)
            }
            return try await make(source, resolved, hash: hash)
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
        sources.remove(fileID: fileID)
        for record in try await index.all(file: fileID) {
            try await driver(record.storage).delete(record.key)
        }
        try await index.remove(file: fileID)
    }

    /// Forgets what this process keeps about a file's derivatives (another instance removed them).
    public func evict(fileID: String) {
        index.evict(file: fileID)
        sources.remove(fileID: fileID)
    }

    /// Forgets every kept derivative record (the bus reconnected: removals may have been missed).
    public func evictAll() {
        index.memory.removeAll()
        sources.removeAll()
    }

    public func shutdown() async { await executor.shutdown() }

    private func make(_ source: TransformSource, _ resolved: ResolvedTransform, hash: String) async throws -> Derivative {
        let generation = generations.start(source.fileID)
        defer { generations.end(source.fileID) }
        let started = Date()
        let image = try await encode(source, resolved)
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

extension AssetTransformer {
    /// What a shared decode answers: the level decoded (nil when the transforms can't share one, or when the
    /// request that started it was alone and streamed its source) and that request's transform.
    struct DecodeOutcome: Sendable {
        let decoded: DecodedSource?
        let leader: Result<EncodedImage, any Error>
        /// No level was kept only because the leader was alone: the transforms that joined decode one next.
        let retry: Bool
    }

    /// Makes the image from a decoded level of its source when one is kept, or is being decoded for a transform
    /// asked meanwhile; else decodes the source for this transform alone.
    func encode(_ source: TransformSource, _ resolved: ResolvedTransform) async throws -> EncodedImage {
        let options = resolved.options
        guard sources.maxBytes > 0, options.width != nil || options.height != nil, !options.operations.contains(where: \.isPreResize),
              source.mediaType.flatMap(ImageFormat.init(mediaType:)) != .avif,
              let object = try await source.driver.stat(source.key) else {
            return try await decodeAlone(source, resolved, object: nil)
        }
        let key = DecodedSources.Key(fileID: source.fileID, storage: source.storage, key: source.key, etag: object.etag)
        // A transform that needs more pixels than the level decoded meanwhile waits for the next decode.
        for _ in 0..<3 {
            if let decoded = sources.lookup(key), pipeline.canRender(resolved, from: decoded) { return try await render(resolved, from: decoded) }
            let demand = sources.demand(key, resolved)
            defer { sources.withdraw(key, demand) }
            let (outcome, leader) = try await decodeFlights.run("\(key.fileID)/\(key.etag)") { [self] in
                try await decodeShared(source, object: object, key: key, for: resolved)
            }
            if leader { return try outcome.leader.get() }
            guard let decoded = outcome.decoded else { if outcome.retry { continue } else { break } }
            if pipeline.canRender(resolved, from: decoded) { return try await render(resolved, from: decoded) }
        }
        return try await decodeAlone(source, resolved, object: object)
    }

    /// `resolved` made from a level decoded already, on a transform thread.
    private func render(_ resolved: ResolvedTransform, from decoded: DecodedSource) async throws -> EncodedImage {
        let pipeline = self.pipeline
        return try await executor.run(timeout: configuration.timeout) { try pipeline.render(resolved, from: decoded, deadline: $0) }
    }

    /// Runs `body` on a transform thread with the stored source as libvips opens it (a temporary copy of a large
    /// remote one is removed afterwards).
    private func withSource<T: Sendable>(_ source: TransformSource, object: StoredObject?,
                                         _ body: @escaping @Sendable (ImageInput, _ deadline: Int64) throws -> T) async throws -> T {
        let (input, temporary) = try await ImageInput.fetch(source.key, from: source.driver, object: object,
                                                            maxBuffered: configuration.maxBufferedSource)
        defer { if let temporary { unlink(temporary) } }
        return try await executor.run(timeout: configuration.timeout) { [self] deadline in
            decodes.withLock { $0 += 1 }
            return try body(input, deadline)
        }
    }

    /// Decodes the source at the level the transforms waiting for it need, keeps it, and makes `resolved` from it.
    private func decodeShared(_ source: TransformSource, object: StoredObject, key: DecodedSources.Key,
                              for resolved: ResolvedTransform) async throws -> DecodeOutcome {
        let (pipeline, sources, logger) = (self.pipeline, self.sources, self.logger)
        return try await withSource(source, object: object) { input, deadline in
            // Read when the decode starts: the transforms asked for while this one waited for a thread count too.
            let seen = sources.noteTransform(key)
            let waiting = sources.demands(key)
            if !seen, waiting.count <= 1 {
                return DecodeOutcome(decoded: nil, leader: Result { try pipeline.run(input, resolved, deadline: deadline) }, retry: true)
            }
            guard let decoded = try pipeline.decode(input, for: [resolved] + waiting, maxBytes: sources.maxBytes, deadline: deadline) else {
                return DecodeOutcome(decoded: nil, leader: Result { try pipeline.run(input, resolved, deadline: deadline) }, retry: false)
            }
            sources.store(key, decoded)
            logger.debug("decoded a source to make several sizes from", metadata: [
                "file": "\(key.fileID)", "level": "\(decoded.width)x\(decoded.height)", "waiting": "\(waiting.count)",
            ])
            return DecodeOutcome(decoded: decoded, leader: Result { try pipeline.render(resolved, from: decoded, deadline: deadline) }, retry: false)
        }
    }

    /// One decode for one transform: the pipeline from the stored source to the encoded image.
    private func decodeAlone(_ source: TransformSource, _ resolved: ResolvedTransform, object: StoredObject?) async throws -> EncodedImage {
        let pipeline = self.pipeline
        return try await withSource(source, object: object) { input, deadline in try pipeline.run(input, resolved, deadline: deadline) }
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
