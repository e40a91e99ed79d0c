import Foundation

/// What an image says about itself in its header, read without decoding a pixel.
public struct ImageFacts: Sendable, Equatable {
    /// The size the image is shown at: EXIF orientations 5–8 swap the stored width and height, as Directus
    /// records them.
    public let width: Int
    public let height: Int
    /// Directus's metadata sections (`ifd0`, `exif`, `icc`, `iptc` …), holding the values `keep` asked for.
    public let metadata: [MetadataField]
}

extension VipsRuntime {
    /// The header of an image file; nil when libvips does not read it as an image. Blocking.
    public func inspect(path: String, keep: @escaping MetadataSelection) -> ImageFacts? {
        Self.facts((try? VipsImageHandle.open(path: path, failOn: 0)), keep: keep)
    }

    /// The header of an image in memory (the start of a file is enough for most formats); nil when libvips does
    /// not read an image there. Blocking.
    public func inspect(bytes: [UInt8], keep: @escaping MetadataSelection) -> ImageFacts? {
        bytes.withUnsafeBytes { Self.facts((try? VipsImageHandle.open(bytes: $0, failOn: 0)), keep: keep) }
    }

    private static func facts(_ image: VipsImageHandle?, keep: @escaping MetadataSelection) -> ImageFacts? {
        guard let image else {
            _ = lastError()   // clear this thread's error text
            return nil
        }
        let header = image.header
        guard header.width > 0, header.height > 0 else { return nil }
        let swap = header.orientation >= 5
        return ImageFacts(width: Int(swap ? header.height : header.width), height: Int(swap ? header.width : header.height),
                          metadata: ImageMetadata.read(image, keep: keep))
    }
}
