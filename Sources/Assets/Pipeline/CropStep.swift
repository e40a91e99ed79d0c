import CVips

/// Step 5: the `cover` crop around the focal point, or the `contain` letterbox.
enum CropStep {
    static func run(_ image: VipsImageHandle, plan: GeometryPlan, background: Colour) throws(VipsFailure) -> VipsImageHandle {
        if let crop = plan.crop {
            return try image.apply { depot_vips_extract($0, $1, Int32(crop.left), Int32(crop.top), Int32(crop.width), Int32(crop.height)) }
        }
        if let canvas = plan.canvas {
            // An opaque letterbox on an image with alpha keeps the alpha band: the bars get full alpha.
            let values = background.values(bands: image.bands)
            return try image.apply { input, output in
                values.withUnsafeBufferPointer {
                    depot_vips_embed(input, output, Int32(canvas.left), Int32(canvas.top), Int32(canvas.width), Int32(canvas.height),
                                     $0.baseAddress, Int32($0.count))
                }
            }
        }
        return image
    }
}
