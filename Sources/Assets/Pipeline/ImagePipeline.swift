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
        do {
            switch input {
            case .file(let path):
                do { return try run(bytes: nil, path: path, transform, deadline: deadline) } catch let failure as VipsFailure {
                    // libvips names the file in its messages; the client must not see server paths.
                    throw Self.map(VipsFailure(message: failure.message.replacingOccurrences(of: path, with: "the image")), deadline: deadline)
                }
            case .memory(let bytes): return try bytes.withUnsafeBytes { try run(bytes: $0, path: nil, transform, deadline: deadline) }
            }
        } catch let error as AssetsError {
            throw error
        } catch let failure as VipsFailure {
            throw Self.map(failure, deadline: deadline)
        } catch {
            throw .unreadable("\(error)")
        }
    }

    private func run(bytes: UnsafeRawBufferPointer?, path: String?, _ transform: ResolvedTransform, deadline: Int64) throws -> EncodedImage {
        let options = transform.options
        let header = try LoadStep.header(bytes, path: path, maxInputPixels: limits.maxInputPixels)
        let turns = OperationsStep.quarterTurns(options.operations)
        let random = options.operations.contains(where: \.isPreResize)
        // The geometry in upright space: what the estimate counts, and (without pre-resize operations) the plan.
        let swap = header.swapsAxes != (turns % 2 == 1)
        let upright = GeometryPlan.plan(sourceWidth: swap ? header.height : header.width,
                                        sourceHeight: swap ? header.width : header.height, options: options)
        // Loaders other than these decode the whole image whatever access is asked for (GIF, HEIF, SVG, …).
        let streams = ["jpegload", "pngload", "webpload", "tiffload"].contains { header.loader.hasPrefix($0) }
        // A sequential decode is copied to memory, once resized, to be turned or for an operation that needs it whole.
        let copied = !random && (header.orientation > 1 || turns % 4 != 0 || options.operations.contains(where: \.needsWholeImage))
        let estimate = Self.memory(header, random: random || !streams, copied: copied, plan: upright,
                                   format: transform.output.format(hasAlpha: header.hasAlpha))
        return try memory.withReservation(estimate, deadline: deadline) {
            try decodeAndEncode(bytes: bytes, path: path, transform, header: header, random: random, turns: turns,
                                swap: swap, upright: upright, deadline: deadline)
        }
    }

    private func decodeAndEncode(bytes: UnsafeRawBufferPointer?, path: String?, _ transform: ResolvedTransform, header: LoadStep.Header,
                                 random: Bool, turns: Int, swap: Bool, upright: GeometryPlan, deadline: Int64) throws -> EncodedImage {
        let options = transform.options
        var image: VipsImageHandle
        let plan: GeometryPlan
        if random {
            // Pixel coordinates of extract/trim/rotate refer to the whole, upright source: no shrink-on-load.
            image = try LoadStep.open(bytes, path: path, header: header, resize: nil, sequential: false)
            image = try OrientStep.run(image, orientation: header.orientation, quarterTurns: turns, inMemory: true, deadline: deadline)
            image = try OperationsStep.preResize(image, options.operations, deadline: deadline)
            plan = GeometryPlan.plan(sourceWidth: image.width, sourceHeight: image.height, options: options)
            image = try ResizeStep.run(image, width: plan.resizeWidth, height: plan.resizeHeight)
            image = try ColourStep.run(image)
        } else {
            // Plan in upright space, decode and resize in the file's stored orientation, turn the small result.
            plan = upright
            let stored = swap ? (width: plan.resizeHeight, height: plan.resizeWidth) : (width: plan.resizeWidth, height: plan.resizeHeight)
            image = try LoadStep.open(bytes, path: path, header: header, resize: stored, sequential: true)
            image = try ResizeStep.run(image, width: stored.width, height: stored.height)
            image = try ColourStep.run(image)
            image = try OrientStep.run(image, orientation: header.orientation, quarterTurns: turns, deadline: deadline)
        }
        image = try CropStep.run(image, plan: plan, background: options.background)
        let turned = header.orientation > 1 || turns % 4 != 0
        image = try OperationsStep.postResize(image, options.operations, randomAccess: random || turned, deadline: deadline)
        let format = transform.output.format(hasAlpha: image.hasAlpha)
        return try EncodeStep.run(image, format: format, quality: options.quality ?? format.defaultQuality,
                                  effort: format == .avif ? limits.avifEffort : limits.webpEffort, deadline: deadline)
    }

    /// The memory a transform will need, from the header and the planned output alone.
    private static func memory(_ header: LoadStep.Header, random: Bool, copied: Bool, plan: GeometryPlan, format: ImageFormat) -> Int {
        let output = plan.crop.map { (width: max($0.width, plan.resizeWidth), height: max($0.height, plan.resizeHeight)) }
            ?? (width: plan.resizeWidth, height: plan.resizeHeight)
        return MemoryEstimate.bytes(width: header.width, height: header.height, bands: header.bands, bandFormat: header.bandFormat,
                                    random: random, copied: copied, output: output, format: format, alpha: header.hasAlpha)
    }

    /// libvips failures are the source's fault (corrupt, truncated, unsupported) unless our deadline killed them.
    /// A failure once the deadline has passed is the deadline's: where the kill lands, libvips does not always
    /// say "killed" (a JPEG save stopped mid-way left an empty error buffer).
    static func map(_ failure: VipsFailure, deadline: Int64) -> AssetsError {
        if failure.wasKilled || VipsClock.now >= deadline { return .timedOut }
        return .unreadable(failure.message.firstLine ?? "libvips could not read it")
    }
}
