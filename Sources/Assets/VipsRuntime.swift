import CVips
import Foundation

/// How libvips runs inside Depot (`ASSETS_*`); the transform limits arrive with the transforms.
public struct AssetsConfiguration: Sendable, Equatable {
    /// libvips's own operation cache: bounded so that memory stays predictable.
    public var vipsCacheMaxOperations: Int32 = 100
    public var vipsCacheMaxMemory: Int = 64 * 1024 * 1024
    /// Worker threads libvips uses inside one pipeline.
    public var vipsConcurrency: Int32 = 1

    public init() {}
}

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

    /// Dimensions from the first bytes of an image (a prefix of the file is enough for JPEG, PNG, WebP, GIF,
    /// AVIF/HEIF); `nil` when libvips does not recognise an image there. Blocking.
    public func header(prefix: [UInt8]) -> (width: Int, height: Int)? {
        var width: Int32 = 0, height: Int32 = 0, bands: Int32 = 0, alpha: Int32 = 0
        var loader = [CChar](repeating: 0, count: 64)
        let status = prefix.withUnsafeBytes {
            depot_vips_header_buffer($0.baseAddress, $0.count, &width, &height, &bands, &alpha, &loader, loader.count)
        }
        guard status == 0, width > 0, height > 0 else {
            _ = Self.lastError()   // clear this thread's error text
            return nil
        }
        return (Int(width), Int(height))
    }

    static func lastError() -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        depot_vips_last_error(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
