import CVips

/// One libvips image. The handle owns its reference (released on deinit) and every operation reads the
/// libvips error on the thread that failed. Not thread-safe: a pipeline runs on one thread from start to end.
final class VipsImageHandle {
    let pointer: OpaquePointer

    private init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { depot_vips_unref(pointer) }

    /// Opens lazily: only the header is read until pixels are asked for.
    /// `failOn` is a VipsFailOn: what decoding problem fails the image.
    static func open(path: String, jpegShrink: Int = 1, scale: Double = 1, sequential: Bool = true,
                     failOn: Int32 = failOnTruncated) throws(AssetsError) -> VipsImageHandle {
        guard let image = depot_vips_open_file(path, Int32(jpegShrink), scale, sequential ? 1 : 0, failOn) else {
            _ = VipsRuntime.lastError()   // names the server's path: not for the client
            throw .unreadable("it is not an image this server can read")
        }
        return VipsImageHandle(image)
    }

    /// Opens lazily from memory; `bytes` must outlive the handle.
    static func open(bytes: UnsafeRawBufferPointer, jpegShrink: Int = 1, scale: Double = 1, sequential: Bool = true,
                     failOn: Int32 = failOnTruncated) throws(AssetsError) -> VipsImageHandle {
        guard let image = depot_vips_open_buffer(bytes.baseAddress, bytes.count, Int32(jpegShrink), scale, sequential ? 1 : 0, failOn) else {
            _ = VipsRuntime.lastError()
            throw .unreadable("it is not an image this server can read")
        }
        return VipsImageHandle(image)
    }

    /// Truncated files fail; harmless warnings (common in camera JPEGs) do not.
    static let failOnTruncated: Int32 = 1   // VIPS_FAIL_ON_TRUNCATED

    var header: DepotVipsHeader {
        var header = DepotVipsHeader()
        depot_vips_describe(pointer, &header)
        return header
    }

    /// libvips's loader name ("jpegload", "pngload_buffer", …).
    var loader: String {
        withUnsafeBytes(of: header.loader) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    var width: Int { Int(header.width) }
    var height: Int { Int(header.height) }
    var bands: Int { Int(header.bands) }
    var hasAlpha: Bool { header.has_alpha != 0 }

    /// Runs one fixed-arity libvips call that produces a new image.
    func apply(_ operation: (OpaquePointer, UnsafeMutablePointer<OpaquePointer?>) -> Int32) throws(VipsFailure) -> VipsImageHandle {
        var out: OpaquePointer?
        guard operation(pointer, &out) == 0, let out else { throw VipsFailure(message: VipsRuntime.lastError()) }
        return VipsImageHandle(out)
    }

    /// Stops the evaluation of this image (and of everything it is computed from) past the deadline.
    func setDeadline(_ deadline: Int64) { depot_vips_set_deadline(pointer, deadline) }

    func encode(_ format: ImageFormat, quality: Int, effort: Int) throws(VipsFailure) -> [UInt8] {
        var buffer: UnsafeMutableRawPointer?
        var length = 0
        guard depot_vips_save(pointer, format.vipsCode, Int32(quality), Int32(effort), &buffer, &length) == 0, let buffer else {
            throw VipsFailure(message: VipsRuntime.lastError())
        }
        defer { depot_vips_free(buffer) }
        return Array(UnsafeRawBufferPointer(start: buffer, count: length))
    }
}

/// A libvips call failed; `message` is libvips's error text for this thread.
struct VipsFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
    /// libvips reports a killed evaluation (our deadline) with this word.
    var wasKilled: Bool { message.contains("killed") }
}

extension String {
    var firstLine: String? {
        split(separator: "\n").first.map { String($0).trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
    }
}

import Foundation
