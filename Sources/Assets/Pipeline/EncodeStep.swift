import CVips

/// Step 7: fit the bands to the format (JPEG has no alpha: flattened on white; AVIF wants colour), then encode
/// with metadata stripped — the pixels are sRGB already, so no profile needs to travel.
enum EncodeStep {
    static func run(_ image: VipsImageHandle, format: ImageFormat, quality: Int, deadline: Int64) throws(VipsFailure) -> EncodedImage {
        var image = image
        if !format.supportsAlpha, image.hasAlpha {
            image = try image.apply { depot_vips_flatten($0, $1, 255, 255, 255) }
        }
        if format == .avif, image.bands < 3 {
            image = try image.apply { depot_vips_to_colour($0, $1) }
        }
        image.setDeadline(deadline)
        // Effort 4 is sharp's default for AVIF and libvips's for WebP: good size at a sane CPU cost.
        let bytes = try image.encode(format, quality: quality, effort: 4)
        return EncodedImage(bytes: bytes, format: format, width: image.width, height: image.height)
    }
}
