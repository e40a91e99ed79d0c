import CVips

/// Step 1: read the header, refuse what is too large before any decode, and open the source with the decoder's
/// own shrink (JPEG 1/2/4/8, WebP scale) so that a 20 MP photo is never fully decoded for a thumbnail.
enum LoadStep {
    /// What the header tells before decoding.
    struct Header {
        let width: Int, height: Int, orientation: Int, hasAlpha: Bool, loader: String
        var bands = 3
        var bandFormat: Int32 = 0

        /// EXIF orientations 5–8 turn the image a quarter.
        var swapsAxes: Bool { orientation >= 5 }

        /// Loaders other than these decode the whole image whatever access is asked for (GIF, HEIF, SVG, …).
        var streams: Bool { ["jpegload", "pngload", "webpload", "tiffload"].contains { loader.hasPrefix($0) } }

        /// The decoder's own reduction for a resize to `resize` (stored orientation): JPEG's shrink (1, 2, 4, 8),
        /// WebP's scale; none for the other loaders.
        func reduction(for resize: (width: Int, height: Int)) -> (jpegShrink: Int, scale: Double) {
            if loader.hasPrefix("jpegload") {
                return (GeometryPlan.jpegShrink(sourceWidth: width, sourceHeight: height, resizeWidth: resize.width, resizeHeight: resize.height), 1)
            }
            if loader.hasPrefix("webpload") {
                return (1, min(1, max(Double(resize.width) / Double(width), Double(resize.height) / Double(height))))
            }
            return (1, 1)
        }

        /// The size the decoder opens at for a resize to `resize`, or a lower bound of it. libvips rounds a JPEG's
        /// shrunk sides down: 6028×3391 opens at 3014×1695 for 1/2 and 753×423 for 1/8.
        func level(for resize: (width: Int, height: Int)) -> (width: Int, height: Int) {
            let (shrink, scale) = reduction(for: resize)
            if scale < 1 { return resize }
            return (max(1, width / shrink), max(1, height / shrink))
        }
    }

    static func header(_ bytes: UnsafeRawBufferPointer?, path: String?, maxInputPixels: Int) throws(AssetsError) -> Header {
        let image = if let path { try VipsImageHandle.open(path: path) } else { try VipsImageHandle.open(bytes: bytes!) }
        let h = image.header
        let header = Header(width: Int(h.width), height: Int(h.height), orientation: Int(h.orientation), hasAlpha: h.has_alpha != 0,
                            loader: image.loader, bands: Int(h.bands), bandFormat: h.band_format)
        guard header.width > 0, header.height > 0 else { throw .unreadable("the image has no pixels") }
        guard header.width * header.height <= maxInputPixels else {
            throw .illegal("The image is \(header.width)×\(header.height) pixels, more than the \(maxInputPixels) this server transforms.")
        }
        return header
    }

    /// Opens for decoding. `resize` is the size wanted after the resize, in the file's stored orientation.
    static func open(_ bytes: UnsafeRawBufferPointer?, path: String?, header: Header,
                     resize: (width: Int, height: Int)?, sequential: Bool) throws(AssetsError) -> VipsImageHandle {
        let (shrink, scale) = resize.map(header.reduction(for:)) ?? (1, 1)
        if let path { return try VipsImageHandle.open(path: path, jpegShrink: shrink, scale: scale, sequential: sequential) }
        return try VipsImageHandle.open(bytes: bytes!, jpegShrink: shrink, scale: scale, sequential: sequential)
    }
}
