#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The memory all running transforms may hold together (`ASSETS_TRANSFORM_MAX_MEMORY`). Each transform reserves
/// its estimate, made from the source's header before any pixel is decoded, and waits (on its own executor
/// thread) while others hold the rest; one that could never fit is refused. The pixel limit alone does not bound
/// memory: a 16-bit RGBA image holds 8 bytes a pixel, and libwebp keeps the whole picture several times over.
final class MemoryBudget: Sendable {
    let bytes: Int
    private let held = Mutex(0)

    init(bytes: Int) {
        self.bytes = bytes
    }

    /// Blocks until `estimate` bytes are free or `deadline` (VipsClock µs) passes; runs `body` holding them.
    func withReservation<T>(_ estimate: Int, deadline: Int64, _ body: () throws -> T) throws -> T {
        guard estimate <= bytes else {
            let mb = { (n: Int) in n == .max ? "too much" : "\((n + 999_999) / 1_000_000) MB" }
            throw AssetsError.illegal("This transform would need about \(mb(estimate)) of memory, more than the \(mb(bytes)) this server allows; ask for a smaller size.")
        }
        while !held.withLock({ inUse in
            guard inUse + estimate <= bytes else { return false }
            inUse += estimate
            return true
        }) {
            guard VipsClock.now < deadline else { throw AssetsError.timedOut }
            // Only while transforms hold the memory: this thread is the executor's, never an event loop.
            usleep(10_000)
        }
        defer { held.withLock { $0 -= estimate } }
        return try body()
    }
}

/// What a transform costs in memory, from the header and the output size.
enum MemoryEstimate {
    /// Bytes of one sample of a VipsBandFormat (uchar … dpcomplex).
    static func sampleBytes(_ bandFormat: Int32) -> Int {
        let sizes = [1, 1, 2, 2, 4, 4, 4, 8, 8, 16]
        return sizes.indices.contains(Int(bandFormat)) ? sizes[Int(bandFormat)] : 8
    }

    /// Bytes a pixel of the output costs in its encoder, measured on this build's libvips 8.14 (peak RSS less the
    /// idle server's, over the output's pixels, for a 20 MP RGB JPEG and a 69 MP 16-bit RGBA PNG, rounded up):
    /// JPEG is written a strip at a time (4); PNG about 8; TIFF 12; libwebp converts the whole picture to ARGB and
    /// YUV (7), and compresses an alpha plane losslessly besides (26); libheif's AVIF 21.
    static func encoderBytesPerPixel(_ format: ImageFormat, alpha: Bool) -> Int {
        switch format {
        case .jpeg: 4
        case .png: 8
        case .tiff: 12
        case .webp: alpha ? 26 : 7
        case .avif: 21
        }
    }

    /// Decoding the source (whole when `random`, a window of rows otherwise) and the `output` stage.
    static func bytes(width: Int, height: Int, bands: Int, bandFormat: Int32, random: Bool, copied: Bool = false,
                      output: (width: Int, height: Int), format: ImageFormat, alpha: Bool) -> Int {
        let pixel = max(1, bands) * sampleBytes(bandFormat)
        // A sequential decode keeps a window of rows: measured about 1,550 rows of a 16-bit RGBA PNG shrunk by 4.
        let source = width.multipliedReportingOverflow(by: (random ? height : min(height, 2_048)) * pixel)
        let encode = Self.output(output, copied: copied, format: format, alpha: alpha)
        guard !source.overflow, encode != .max, !source.partialValue.addingReportingOverflow(encode).overflow else { return .max }
        return source.partialValue + encode
    }

    /// The resized image when it is `copied` to memory (8-bit by then, at most four bands), and encoding `output` pixels.
    static func output(_ output: (width: Int, height: Int), copied: Bool, format: ImageFormat, alpha: Bool) -> Int {
        // A WebP output is held in memory once more before its encode where libvips needs that (EncodeStep).
        let held = format == .webp && EncodeStep.webpSavesFromMemory ? (alpha ? 4 : 3) : 0
        let encode = output.width.multipliedReportingOverflow(by: output.height * (encoderBytesPerPixel(format, alpha: alpha) + (copied ? 4 : 0) + held))
        return encode.overflow ? .max : encode.partialValue
    }
}
