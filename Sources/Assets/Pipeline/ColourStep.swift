import CVips

/// Step 3: 8-bit sRGB (or 8-bit grey). Run after the resize, so that the colour transform touches few pixels;
/// a no-op for the common 8-bit sRGB source without a profile.
enum ColourStep {
    static func run(_ image: VipsImageHandle) throws(VipsFailure) -> VipsImageHandle {
        try image.apply { depot_vips_to_srgb($0, $1) }
    }
}
