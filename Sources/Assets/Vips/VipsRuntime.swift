import CVips
import Foundation

public enum VipsError: Error, Sendable, CustomStringConvertible {
    case startup(String)
    case operation(String)

    public var description: String {
        switch self {
        case .startup(let m): "libvips did not start: \(m)"
        case .operation(let m): "libvips: \(m)"
        }
    }
}

/// libvips, started once per process.
public struct VipsRuntime: Sendable {
    public let version: String

    /// Starts libvips and applies the cache and thread bounds.
    public static func start(_ configuration: AssetsConfiguration) throws -> VipsRuntime {
        guard depot_vips_init("depot") == 0 else { throw VipsError.startup(lastError()) }
        depot_vips_configure(configuration.vipsCacheMaxOperations, configuration.vipsCacheMaxMemory, configuration.vipsConcurrency)
        return VipsRuntime(version: String(cString: depot_vips_version()))
    }

    /// Image dimensions read from the file's header only: no pixel is decoded. Blocking.
    public func header(path: String) throws -> (width: Int, height: Int, bands: Int, hasAlpha: Bool) {
        var width: Int32 = 0, height: Int32 = 0, bands: Int32 = 0, alpha: Int32 = 0
        guard depot_vips_header_file(path, &width, &height, &bands, &alpha) == 0 else {
            throw VipsError.operation(Self.lastError())
        }
        return (Int(width), Int(height), Int(bands), alpha != 0)
    }

    /// A synthetic gradient image of exact geometry, encoded (for tests and benchmarks). Blocking.
    public func testCard(width: Int, height: Int, bands: Int = 3, orientation: Int = 1, format: ImageFormat = .jpeg) throws -> [UInt8] {
        var buffer: UnsafeMutableRawPointer?
        var length = 0
        guard depot_vips_test_card(Int32(width), Int32(height), Int32(bands), Int32(orientation), format.vipsCode, &buffer, &length) == 0,
              let buffer else { throw VipsError.operation(Self.lastError()) }
        defer { depot_vips_free(buffer) }
        return Array(UnsafeRawBufferPointer(start: buffer, count: length))
    }

    /// Header facts of an encoded image in memory (for tests and tools). Blocking.
    public func describe(_ bytes: [UInt8]) throws -> (width: Int, height: Int, bands: Int, hasAlpha: Bool, loader: String, orientation: Int) {
        try bytes.withUnsafeBytes { raw in
            let image = try VipsImageHandle.open(bytes: raw)
            let h = image.header
            return (Int(h.width), Int(h.height), Int(h.bands), h.has_alpha != 0, image.loader, Int(h.orientation))
        }
    }

    /// libvips loaders still reading the file at `path`: zero once every transform of it has released its
    /// pipeline (tests check that nothing keeps one alive).
    public func loaders(reading path: String) -> Int {
        Int(depot_vips_loaders_reading(path))
    }

    static func lastError() -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        depot_vips_last_error(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
