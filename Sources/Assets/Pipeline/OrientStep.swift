import CVips

/// Step 4: the EXIF orientation, then a right-angle `rotate`. Rotation needs random access, so the (already
/// resized, hence small) image is copied to memory first; nothing happens when there is nothing to turn.
enum OrientStep {
    /// `inMemory`: the image was opened for random access and can be turned as it is.
    static func run(_ image: VipsImageHandle, orientation: Int, quarterTurns: Int, inMemory: Bool = false,
                    deadline: Int64) throws(VipsFailure) -> VipsImageHandle {
        guard orientation > 1 || quarterTurns % 4 != 0 else { return image }
        var out = image
        if !inMemory {
            image.setDeadline(deadline)
            out = try image.apply { depot_vips_copy_memory($0, $1) }
        }
        if orientation > 1 { out = try out.apply { depot_vips_autorot($0, $1) } }
        if quarterTurns % 4 != 0 { out = try out.apply { depot_vips_rot($0, $1, Int32(quarterTurns)) } }
        return out
    }
}
