import Foundation

/// One transform, start to end on the calling thread:
/// load (shrink-on-load) → resize → colour → orient → crop → operations → encode.
/// Blocking: runs on the transform executor's threads only.
struct ImagePipeline {
    let limits: AssetsConfiguration

    func run(_ input: ImageInput, _ transform: ResolvedTransform, deadline: Int64) throws(AssetsError) -> EncodedImage {
        do {
            switch input {
            case .file(let path):
                do { return try run(bytes: nil, path: path, transform, deadline: deadline) } catch let failure as VipsFailure {
                    // libvips names the file in its messages; the client must not see server paths.
                    throw Self.map(VipsFailure(message: failure.message.replacingOccurrences(of: path, with: "the image")))
                }
            case .memory(let bytes): return try bytes.withUnsafeBytes { try run(bytes: $0, path: nil, transform, deadline: deadline) }
            }
        } catch let error as AssetsError {
            throw error
        } catch let failure as VipsFailure {
            throw Self.map(failure)
        } catch {
            throw .unreadable("\(error)")
        }
    }

    private func run(bytes: UnsafeRawBufferPointer?, path: String?, _ transform: ResolvedTransform, deadline: Int64) throws -> EncodedImage {
        let options = transform.options
        let header = try LoadStep.header(bytes, path: path, maxInputPixels: limits.maxInputPixels)
        let turns = OperationsStep.quarterTurns(options.operations)
        var image: VipsImageHandle
        let plan: GeometryPlan
        if options.operations.contains(where: \.isPreResize) {
            // Pixel coordinates of extract/trim/rotate refer to the whole, upright source: no shrink-on-load.
            image = try LoadStep.open(bytes, path: path, header: header, resize: nil, sequential: false)
            image = try OrientStep.run(image, orientation: header.orientation, quarterTurns: turns, inMemory: true, deadline: deadline)
            image = try OperationsStep.preResize(image, options.operations, deadline: deadline)
            plan = GeometryPlan.plan(sourceWidth: image.width, sourceHeight: image.height, options: options)
            image = try ResizeStep.run(image, width: plan.resizeWidth, height: plan.resizeHeight)
            image = try ColourStep.run(image)
        } else {
            // Plan in upright space, decode and resize in the file's stored orientation, turn the small result.
            let swap = header.swapsAxes != (turns % 2 == 1)
            plan = GeometryPlan.plan(sourceWidth: swap ? header.height : header.width,
                                     sourceHeight: swap ? header.width : header.height, options: options)
            let stored = swap ? (width: plan.resizeHeight, height: plan.resizeWidth) : (width: plan.resizeWidth, height: plan.resizeHeight)
            image = try LoadStep.open(bytes, path: path, header: header, resize: stored, sequential: true)
            image = try ResizeStep.run(image, width: stored.width, height: stored.height)
            image = try ColourStep.run(image)
            image = try OrientStep.run(image, orientation: header.orientation, quarterTurns: turns, deadline: deadline)
        }
        image = try CropStep.run(image, plan: plan, background: options.background)
        image = try OperationsStep.postResize(image, options.operations, deadline: deadline)
        let format = transform.output.format(hasAlpha: image.hasAlpha)
        return try EncodeStep.run(image, format: format, quality: options.quality ?? format.defaultQuality, deadline: deadline)
    }

    /// libvips failures are the source's fault (corrupt, truncated, unsupported) unless our deadline killed them.
    static func map(_ failure: VipsFailure) -> AssetsError {
        if failure.wasKilled { return .timedOut }
        return .unreadable(failure.message.firstLine ?? "libvips could not read it")
    }
}
