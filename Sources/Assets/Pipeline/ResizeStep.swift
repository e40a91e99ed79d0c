import CVips

/// Step 2: the remaining scale after shrink-on-load, with libvips's Lanczos resize, to an exact size.
enum ResizeStep {
    static func run(_ image: VipsImageHandle, width: Int, height: Int) throws(VipsFailure) -> VipsImageHandle {
        guard image.width != width || image.height != height else { return image }
        let hscale = Double(width) / Double(image.width), vscale = Double(height) / Double(image.height)
        let resized = try image.apply { depot_vips_resize($0, $1, hscale, vscale) }
        guard resized.width != width || resized.height != height else { return resized }
        // Rounding inside vips_resize can leave one pixel too many: trim it.
        let w = min(width, resized.width), h = min(height, resized.height)
        return try resized.apply { depot_vips_extract($0, $1, 0, 0, Int32(w), Int32(h)) }
    }
}
