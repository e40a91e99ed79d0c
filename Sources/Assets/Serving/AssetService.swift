import Foundation
import Storage
import Synchronization

/// The path from an asset request to its bytes: the caller's access to the file, the transform the query asks
/// for (checked against the settings and limits), the stored or freshly made derivative, and the original
/// otherwise. The HTTP layer only decodes the request and sends the representation.
public final class AssetService: Sendable {
    public let transformer: AssetTransformer
    private let storage: StorageLocations
    private let storedSettings: @Sendable () async throws -> StoredAssetSettings
    /// The settings parsed, with the stored text they were parsed from: parsed again only when that changes.
    private let parsedSettings = Mutex<(stored: StoredAssetSettings, settings: AssetSettings)?>(nil)

    /// `settings` reads the stored transform settings (the CMS caches them and reloads on change).
    public init(transformer: AssetTransformer, storage: StorageLocations,
                settings: @escaping @Sendable () async throws -> StoredAssetSettings) {
        self.transformer = transformer
        self.storage = storage
        self.storedSettings = settings
    }

    /// Finds what answers the request and hands it to `send`. When a recorded derivative turns out to be missing
    /// from storage (`send` throws `AssetGone`, or a local file is absent), it is made again, once.
    public func serve<Answer>(_ id: String, query: [String: String], accept: String?, access: some AssetAccess,
                              send: (AssetRepresentation) async throws -> Answer) async throws -> Answer {
        guard let file = try await access.file(id) else { throw AssetsError.forbidden }
        if let (input, options) = try await transform(file, query: query),
           let derivative = try await transformer.derivative(input, options: options, accept: accept) {
            do {
                if let representation = try representation(derivative, of: file) { return try await send(representation) }
            } catch is AssetGone {}
            // Recorded, but removed from storage behind Depot's back: make it again.
            try await transformer.forget(derivative.record)
            guard let remade = try await transformer.derivative(input, options: options, accept: accept),
                  let representation = try representation(remade, of: file) else { throw AssetsError.forbidden }
            return try await send(representation)
        }
        return try await send(try await original(file))
    }

    /// The transform settings in force, parsed once per change.
    public func settings() async throws -> AssetSettings {
        let stored = try await storedSettings()
        if let parsed = parsedSettings.withLock({ $0 }), parsed.stored == stored { return parsed.settings }
        let settings = try AssetSettings(stored, maxDimension: transformer.configuration.maxDimension)
        parsedSettings.withLock { $0 = (stored, settings) }
        return settings
    }

    private func original(_ file: AssetFile) async throws -> AssetRepresentation {
        let source = file.source
        if let local = source.driver.localFiles {
            guard let opened = try local.open(source.key) else { throw AssetsError.forbidden }
            return AssetRepresentation(object: opened.object, type: source.mediaType ?? "application/octet-stream", content: .file(opened),
                                       varyAccept: false, derivative: nil, file: file)
        }
        guard let object = try await source.driver.stat(source.key) else { throw AssetsError.forbidden }
        let driver = source.driver, key = source.key
        return AssetRepresentation(object: object, type: source.mediaType ?? object.contentType ?? "application/octet-stream",
                                   content: .stream({ range in try await driver.read(key, range: range) }),
                                   varyAccept: false, derivative: nil, file: file)
    }

    /// nil when a local derivative file is missing.
    private func representation(_ derivative: Derivative, of file: AssetFile) throws -> AssetRepresentation? {
        let described = (origin: derivative.origin, duration: derivative.duration)
        let record = derivative.record
        if let bytes = derivative.bytes {
            return AssetRepresentation(object: derivative.object, type: record.type, content: .bytes(bytes),
                                       varyAccept: derivative.varyAccept, derivative: described, file: file)
        }
        let driver = try storage.driver(record.storage)
        if let local = driver.localFiles {
            guard let opened = try local.open(record.key) else { return nil }
            // Made again since it was recorded (by another instance): the open file is what is sent.
            if opened.object.etag != record.etag { transformer.evict(fileID: record.file) }
            return AssetRepresentation(object: opened.object, type: record.type, content: .file(opened),
                                       varyAccept: derivative.varyAccept, derivative: described, file: file)
        }
        let key = record.key
        return AssetRepresentation(object: derivative.object, type: record.type,
                                   content: .stream({ range in try await driver.read(key, range: range) }),
                                   varyAccept: derivative.varyAccept, derivative: described, file: file)
    }

    /// The transform the query asks for, checked against the settings and limits; nil when it asks for none.
    private func transform(_ file: AssetFile, query: [String: String]) async throws -> (TransformSource, TransformOptions)? {
        guard !TransformRequest.parameterNames.isDisjoint(with: query.keys) else { return nil }
        guard let options = try TransformRequest.parse(query, settings: try await settings(), limits: transformer.configuration) else { return nil }
        return (file.source, options)
    }
}

/// Thrown by a sender whose stored derivative could not be read: the service makes it again.
public struct AssetGone: Error {
    public init() {}
}

extension AssetSettings {
    /// The stored settings, parsed; an unknown policy reads as `all`, as in Directus.
    public init(_ stored: StoredAssetSettings, maxDimension: Int) throws {
        self.init(policy: stored.transform.flatMap(TransformPolicy.init(rawValue:)) ?? .all,
                  presets: try AssetPreset.parse(json: stored.presetsJSON, maxDimension: maxDimension))
    }
}
