import CVips
import Foundation

/// One transform, start to end on the calling thread:
/// load (shrink-on-load) → resize → colour → orient → crop → operations → encode.
/// Blocking: runs on the transform executor's threads only.
struct ImagePipeline {
    let limits: AssetsConfiguration
    /// Shared by every transform of the process.
    let memory: MemoryBudget

    init(limits: AssetsConfiguration) {
        self.limits = limits
        memory = MemoryBudget(bytes: limits.maxMemory)
    }

    func run(_ input: ImageInput, _ transform: ResolvedTransform, deadline: Int64) throws(AssetsError) -> EncodedImage {
        try reading(input, deadline: deadline) { bytes, path in try run(bytes: bytes, path: path, transform, deadline: deadline) }
    }

    /// Decodes `input` once, into memory, at the level the largest of `transforms` needs; nil when none of them
    /// can be made from a decoded level (a pre-resize operation, a loader that decodes whole images) or the level
    /// would hold more than `maxBytes`. Decoding to memory costs one copy of the level's pixels, which the
    /// reservation counts until the level belongs to the caller.
    func decode(_ input: ImageInput, for transforms: [ResolvedTransform], maxBytes: Int, deadline: Int64) throws(AssetsError) -> DecodedSource? {
        try reading(input, deadline: deadline) { bytes, path in
            let header = try LoadStep.header(bytes, path: path, maxInputPixels: limits.maxInputPixels)
            guard header.streams else { return nil }
            let needs = transforms.map { Layout($0.options, header: header) }.filter(\.sequential)
            guard let largest = needs.max(by: { $0.level.width * $0.level.height < $1.level.width * $1.level.height }) else { return nil }
            let levelBytes = largest.level.width * largest.level.height * header.bands * MemoryEstimate.sampleBytes(header.bandFormat)
            guard levelBytes <= maxBytes else { return nil }
            let window = MemoryEstimate.bytes(width: header.width, height: header.height, bands: header.bands, bandFormat: header.bandFormat,
                                              random: false, output: (0, 0), format: .jpeg, alpha: false)
            return try memory.withReservation(window + levelBytes, deadline: deadline) {
                let image = try LoadStep.open(bytes, path: path, header: header, resize: largest.stored, sequential: true)
                image.setDeadline(deadline)
                return DecodedSource(try image.apply { depot_vips_copy_memory($0, $1) }, header: header)
            }
        }
    }

    /// Whether `decoded` holds enough pixels for `transform` (as many as the transform's own decode would).
    func canRender(_ transform: ResolvedTransform, from decoded: DecodedSource) -> Bool {
        let layout = Layout(transform.options, header: decoded.header)
        return layout.sequential && decoded.covers(level: layout.level, resize: layout.stored)
    }

    /// Makes `transform` from a decoded level (see `canRender`): no decode, only resize onwards.
    func render(_ transform: ResolvedTransform, from decoded: DecodedSource, deadline: Int64) throws(AssetsError) -> EncodedImage {
        try Self.answering(deadline: deadline) {
            let layout = Layout(transform.options, header: decoded.header)
            guard layout.sequential else {
                throw AssetsError.unreadable("the transform needs the whole source")
            }
            let estimate = MemoryEstimate.output(layout.outputSize, copied: layout.copied, format: transform.output.format(hasAlpha: decoded.header.hasAlpha),
                                                 alpha: decoded.header.hasAlpha)
            return try memory.withReservation(estimate, deadline: deadline) {
                let image = try resizeAndTurn(try decoded.view(), layout, header: decoded.header, deadline: deadline)
                return try finish(image, transform, plan: layout.upright, turned: layout.turned, random: false, deadline: deadline)
            }
        }
    }

    /// Runs `body` on the source as libvips opens it, with libvips's failures answered as AssetsError.
    private func reading<T>(_ input: ImageInput, deadline: Int64,
                            _ body: (UnsafeRawBufferPointer?, String?) throws -> T) throws(AssetsError) -> T {
        try Self.answering(deadline: deadline) {
            switch input {
            case .file(let path):
                do { return try body(nil, path) } catch let failure as VipsFailure {
                    // libvips names the file in its messages; the client must not see server paths.
                    throw Self.map(VipsFailure(message: failure.message.replacingOccurrences(of: path, with: "the image")), deadline: deadline)
                }
            case .memory(let bytes): return try bytes.withUnsafeBytes { try body($0, nil) }
            }
        }
    }

    /// Runs `body`, answering its libvips failures (and anything else) as AssetsError.
    private static func answering<T>(deadline: Int64, _ body: () throws -> T) throws(AssetsError) -> T {
        do {
            return try body()
        } catch let error as AssetsError {
            throw error
        } catch let failure as VipsFailure {
            throw map(failure, deadline: deadline)
        } catch {
            throw .unreadable("\(error)")
        }
    }

    /// Where a transform's pixels go, from the header and the options alone.
    struct Layout {
        /// Quarter turns asked for by a right-angle `rotate`.
        let turns: Int
        /// The stored image's axes are swapped in upright space (EXIF orientation and turns together).
        let swap: Bool
        /// The geometry in upright space: what the estimate counts, and (without pre-resize operations) the plan.
        let upright: GeometryPlan
        /// Pre-resize operations need the whole source, decoded without shrink-on-load.
        let random: Bool
        /// A sequential decode is copied to memory, once resized, to be turned or for an operation that needs it whole.
        let copied: Bool
        let turned: Bool

        init(_ options: TransformOptions, header: LoadStep.Header) {
            turns = OperationsStep.quarterTurns(options.operations)
            random = options.operations.contains(where: \.isPreResize)
            swap = header.swapsAxes != (turns % 2 == 1)
            upright = GeometryPlan.plan(sourceWidth: swap ? header.height : header.width,
                                        sourceHeight: swap ? header.width : header.height, options: options)
            turned = header.orientation > 1 || turns % 4 != 0
            copied = !random && (turned || options.operations.contains(where: \.needsWholeImage))
            level = header.level(for: (swap ? upright.resizeHeight : upright.resizeWidth, swap ? upright.resizeWidth : upright.resizeHeight))
        }

        /// Made from a shrunk, sequential decode (no pre-resize operation).
        var sequential: Bool { !random }
        /// The resize size in the file's stored orientation.
        var stored: (width: Int, height: Int) { swap ? (upright.resizeHeight, upright.resizeWidth) : (upright.resizeWidth, upright.resizeHeight) }
        /// The size the decoder opens at for this transform.
        let level: (width: Int, height: Int)
        /// The largest image the output stage holds.
        var outputSize: (width: Int, height: Int) {
            upright.crop.map { (max($0.width, upright.resizeWidth), max($0.height, upright.resizeHeight)) }
                ?? (upright.resizeWidth, upright.resizeHeight)
        }
    }

    private func run(bytes: UnsafeRawBufferPointer?, path: String?, _ transform: ResolvedTransform, deadline: Int64) throws -> EncodedImage {
        let header = try LoadStep.header(bytes, path: path, maxInputPixels: limits.maxInputPixels)
        let layout = Layout(transform.options, header: header)
        let estimate = MemoryEstimate.bytes(width: header.width, height: header.height, bands: header.bands, bandFormat: header.bandFormat,
                                            random: layout.random || !header.streams, copied: layout.copied, output: layout.outputSize,
                                            format: transform.output.format(hasAlpha: header.hasAlpha), alpha: header.hasAlpha)
        return try memory.withReservation(estimate, deadline: deadline) {
            try decodeAndEncode(bytes: bytes, path: path, transform, header: header, layout: layout, deadline: deadline)
        }
    }

    private func decodeAndEncode(bytes: UnsafeRawBufferPointer?, path: String?, _ transform: ResolvedTransform, header: LoadStep.Header,
                                 layout: Layout, deadline: Int64) throws -> EncodedImage {
        let options = transform.options
        if layout.random {
            // Pixel coordinates of extract/trim/rotate refer to the whole, upright source: no shrink-on-load.
            var image = try LoadStep.open(bytes, path: path, header: header, resize: nil, sequential: false)
            image = try OrientStep.run(image, orientation: header.orientation, quarterTurns: layout.turns, inMemory: true, deadline: deadline)
            image = try OperationsStep.preResize(image, options.operations, deadline: deadline)
            let plan = GeometryPlan.plan(sourceWidth: image.width, sourceHeight: image.height, options: options)
            image = try ResizeStep.run(image, width: plan.resizeWidth, height: plan.resizeHeight)
            image = try ColourStep.run(image)
            return try finish(image, transform, plan: plan, turned: layout.turned, random: true, deadline: deadline)
        }
        // Plan in upright space, decode and resize in the file's stored orientation, turn the small result.
        let image = try LoadStep.open(bytes, path: path, header: header, resize: layout.stored, sequential: true)
        return try finish(try resizeAndTurn(image, layout, header: header, deadline: deadline), transform, plan: layout.upright,
                          turned: layout.turned, random: false, deadline: deadline)
    }

    /// Resize, colour and orientation of a source decoded in its stored orientation.
    private func resizeAndTurn(_ decoded: VipsImageHandle, _ layout: Layout, header: LoadStep.Header, deadline: Int64) throws -> VipsImageHandle {
        var image = try ResizeStep.run(decoded, width: layout.stored.width, height: layout.stored.height)
        image = try ColourStep.run(image)
        return try OrientStep.run(image, orientation: header.orientation, quarterTurns: layout.turns, deadline: deadline)
    }

    /// Crop, the operations after the resize, and the encode.
    private func finish(_ image: VipsImageHandle, _ transform: ResolvedTransform, plan: GeometryPlan, turned: Bool, random: Bool,
                        deadline: Int64) throws -> EncodedImage {
        let options = transform.options
        var image = try CropStep.run(image, plan: plan, background: options.background)
        image = try OperationsStep.postResize(image, options.operations, randomAccess: random || turned, deadline: deadline)
        let format = transform.output.format(hasAlpha: image.hasAlpha)
        return try EncodeStep.run(image, format: format, quality: options.quality ?? format.defaultQuality,
                                  effort: format == .avif ? limits.avifEffort : limits.webpEffort, deadline: deadline)
    }

    /// libvips failures are the source's fault (corrupt, truncated, unsupported) unless our deadline killed them.
    /// A failure once the deadline has passed is the deadline's: where the kill lands, libvips does not always
    /// say "killed" (a JPEG save stopped mid-way left an empty error buffer).
    static func map(_ failure: VipsFailure, deadline: Int64) -> AssetsError {
        if failure.wasKilled || VipsClock.now >= deadline { return .timedOut }
        return .unreadable(failure.message.firstLine ?? "libvips could not read it")
    }
}
