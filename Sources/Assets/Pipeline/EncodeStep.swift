import CVips

/// Step 7: fit the bands to the format (JPEG has no alpha: flattened on white; AVIF wants colour), then encode
/// with metadata stripped — the pixels are sRGB already, so no profile needs to travel.
enum EncodeStep {
    /// `effort` applies to WebP and AVIF (AssetsConfiguration's `webpEffort` / `avifEffort`).
    static func run(_ image: VipsImageHandle, format: ImageFormat, quality: Int, effort: Int, deadline: Int64) throws(VipsFailure) -> EncodedImage {
        var image = image
        if !format.supportsAlpha, image.hasAlpha {
            image = try image.apply { depot_vips_flatten($0, $1, 255, 255, 255) }
        }
        if format == .avif, image.bands < 3 {
            image = try image.apply { depot_vips_to_colour($0, $1) }
        }
        image.setDeadline(deadline)
        if format == .webp, Self.webpSavesFromMemory {
            // The pipeline is evaluated (and stopped at the deadline) here, outside the WebP saver: see below.
            image = try image.apply { depot_vips_copy_memory($0, $1) }
        }
        let bytes = try image.encode(format, quality: quality, effort: effort)
        return EncodedImage(bytes: bytes, format: format, width: image.width, height: image.height)
    }

    /// libvips before 8.15.4 leaks the whole pipeline — every image, the decoder and its buffers, ~0.5 MB for a
    /// 1680×1050 JPEG — when a WebP save fails, as it does when the deadline kills the evaluation. Under a burst of
    /// new transforms that time out this grew the server by ~50 MB a minute. A WebP output is therefore first
    /// computed into memory (the step the deadline stops) and then encoded, which costs one more copy of the
    /// output's pixels (counted by `MemoryEstimate`) and leaves the encode itself unstoppable, as AVIF's already is.
    static let webpSavesFromMemory = depot_vips_webpsave_leaks_on_failure() != 0
}
