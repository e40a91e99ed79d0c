import Foundation
import NIOPosix
import Storage

/// Reads a stored image's header (size and metadata) off the event loops, never decoding a pixel. A local file
/// is opened in place. A remote object is read from the first bytes the upload kept when they hold the header —
/// as they do for JPEG, PNG, GIF and AVIF — and otherwise from the object itself, fetched as a transform fetches
/// its source: libwebp's demuxer wants the whole file, and a TIFF's directory may sit at its end.
public struct ImageHeaderReader: Sendable {
    let vips: VipsRuntime
    let maxBufferedSource: Int

    public init(vips: VipsRuntime, maxBufferedSource: Int) {
        self.vips = vips
        self.maxBufferedSource = maxBufferedSource
    }

    /// `prefix`: the object's first bytes (of `size`). nil when the object is not an image libvips reads (or
    /// cannot be read now).
    public func read(_ key: String, from driver: any StorageDriver, size: Int64, prefix: [UInt8],
                     keep: @escaping MetadataSelection) async -> ImageFacts? {
        let vips = self.vips
        if driver.localFiles == nil, !prefix.isEmpty {
            let facts = try? await NIOThreadPool.singleton.runIfActive { vips.inspect(bytes: prefix, keep: keep) }
            if facts != nil || Int64(prefix.count) >= size { return facts }
        }
        guard let fetched = try? await ImageInput.fetch(key, from: driver, maxBuffered: maxBufferedSource) else { return nil }
        let (input, temporary) = fetched
        defer { if let temporary { unlink(temporary) } }
        return try? await NIOThreadPool.singleton.runIfActive {
            switch input {
            case .file(let path): vips.inspect(path: path, keep: keep)
            case .memory(let bytes): vips.inspect(bytes: bytes, keep: keep)
            }
        }
    }
}
