import CVips

/// A source decoded once at a reduced size — its decoder's shrink-on-load level — and held in memory, from which
/// several sizes are made without decoding it again (the widths of a page's `srcset`).
///
/// Shared by transforms on several executor threads: a libvips memory image is read-only once made and its
/// references are counted atomically; each transform builds on a `view` of its own (see `depot_vips_view`).
final class DecodedSource: @unchecked Sendable {
    private let image: VipsImageHandle
    /// The source's header, as read before the decode (its full size, orientation, loader).
    let header: LoadStep.Header
    /// The decoded level's size, in the file's stored orientation.
    let width: Int, height: Int
    /// The pixels held.
    let bytes: Int

    init(_ image: VipsImageHandle, header: LoadStep.Header) {
        self.image = image
        self.header = header
        let h = image.header
        width = Int(h.width)
        height = Int(h.height)
        bytes = width * height * max(1, Int(h.bands)) * MemoryEstimate.sampleBytes(h.band_format)
    }

    /// Whether this level holds at least the pixels the decoder would open at for a transform (`level`), and no
    /// fewer than it is resized to.
    func covers(level: (width: Int, height: Int), resize: (width: Int, height: Int)) -> Bool {
        width >= max(resize.width, level.width) && height >= max(resize.height, level.height)
    }

    /// A new image over the shared pixels, for one transform to build on.
    func view() throws(VipsFailure) -> VipsImageHandle {
        try image.apply { depot_vips_view($0, $1) }
    }
}
