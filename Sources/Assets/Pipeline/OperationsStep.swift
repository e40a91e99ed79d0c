import CVips

/// Step 6: the `transforms` operations. Geometry-changing ones (`extract`, `trim`, a free-angle `rotate`) run
/// before the resize on the whole decoded source, as sharp runs them; the rest run on the resized image, in order
/// (held in memory first when one of them needs the whole image and the source was opened for sequential reading).
enum OperationsStep {
    static func preResize(_ image: VipsImageHandle, _ operations: [TransformOperation], deadline: Int64) throws(AssetsError) -> VipsImageHandle {
        var image = image
        for operation in operations where operation.isPreResize {
            image = try vips(deadline) { () throws(VipsFailure) in
                switch operation {
                case .extract(let left, let top, let width, let height):
                    guard left + width <= image.width, top + height <= image.height else {
                        throw VipsFailure(message: "extract_area: bad extract area")
                    }
                    return try image.apply { depot_vips_extract($0, $1, Int32(left), Int32(top), Int32(width), Int32(height)) }
                case .trim(let threshold):
                    image.setDeadline(deadline)
                    var l: Int32 = 0, t: Int32 = 0, w: Int32 = 0, h: Int32 = 0
                    guard depot_vips_find_trim(image.pointer, threshold, &l, &t, &w, &h) == 0 else { throw VipsFailure(message: VipsRuntime.lastError()) }
                    guard w > 0, h > 0 else { return image }   // a uniform image: nothing to trim to
                    return try image.apply { depot_vips_extract($0, $1, l, t, w, h) }
                case .rotate(let angle, let background):
                    let values = background.values(bands: image.bands)
                    return try image.apply { input, output in
                        values.withUnsafeBufferPointer { depot_vips_rotate(input, output, angle, $0.baseAddress, Int32($0.count)) }
                    }
                default:
                    return image
                }
            }
        }
        return image
    }

    /// `randomAccess`: the image can be read in any order (opened so, or computed from an image in memory); when
    /// not, it is copied to memory before the first operation that needs the whole image (counted by the estimate).
    static func postResize(_ image: VipsImageHandle, _ operations: [TransformOperation], randomAccess: Bool,
                           deadline: Int64) throws(AssetsError) -> VipsImageHandle {
        var image = image
        var randomAccess = randomAccess
        for operation in operations where !operation.isPreResize {
            if operation.needsWholeImage, !randomAccess {
                image.setDeadline(deadline)
                image = try vips(deadline) { () throws(VipsFailure) in try image.apply { depot_vips_copy_memory($0, $1) } }
                randomAccess = true
            }
            image = try vips(deadline) { () throws(VipsFailure) in
                switch operation {
                case .flip: return try image.apply { depot_vips_flip($0, $1, 0) }
                case .flop: return try image.apply { depot_vips_flip($0, $1, 1) }
                case .blur(let sigma): return try image.apply { depot_vips_gaussblur($0, $1, sigma ?? 0.8) }
                case .sharpen(let sigma): return try image.apply { depot_vips_sharpen($0, $1, sigma) }
                case .greyscale: return try image.apply { depot_vips_greyscale($0, $1) }
                case .negate: return try image.apply { depot_vips_negate($0, $1) }
                case .tint(let c): return try image.apply { depot_vips_tint($0, $1, c.r, c.g, c.b) }
                case .gamma(let gamma, let gammaOut):
                    // Darkening by `gamma` and brightening by `gammaOut` leave x^(gamma/gammaOut).
                    guard gamma != gammaOut else { return image }
                    return try image.apply { depot_vips_gamma($0, $1, gammaOut / gamma) }
                case .normalise:
                    image.setDeadline(deadline)
                    return try image.apply { depot_vips_normalise($0, $1) }
                case .median(let size): return try image.apply { depot_vips_median($0, $1, Int32(size)) }
                case .flatten(let c):
                    guard image.hasAlpha else { return image }
                    return try image.apply { depot_vips_flatten($0, $1, c.r, c.g, c.b) }
                case .removeAlpha:
                    guard image.hasAlpha else { return image }
                    return try image.apply { depot_vips_extract_bands($0, $1, 0, Int32(image.bands - 1)) }
                case .rotate:
                    return image   // right angles are turned by the orient step
                case .extract, .trim:
                    return image
                }
            }
        }
        return image
    }

    /// The last `rotate` decides the rotation, as in sharp; right angles as quarter turns.
    static func quarterTurns(_ operations: [TransformOperation]) -> Int {
        guard case .rotate(let angle, _)? = operations.last(where: { if case .rotate = $0 { true } else { false } }),
              angle.truncatingRemainder(dividingBy: 90) == 0 else { return 0 }
        return ((Int(angle) / 90) % 4 + 4) % 4
    }

    private static func vips(_ deadline: Int64, _ body: () throws(VipsFailure) -> VipsImageHandle) throws(AssetsError) -> VipsImageHandle {
        do { return try body() } catch { throw ImagePipeline.map(error, deadline: deadline) }
    }
}
