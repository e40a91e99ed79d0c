/// How `width` × `height` is filled (sharp's `fit`).
public enum Fit: String, Sendable, Hashable {
    /// Exactly width × height, cropped around the focal point.
    case cover
    /// Exactly width × height, the whole image letterboxed.
    case contain
    /// Within width × height, aspect kept.
    case inside
    /// Covering width × height, aspect kept, nothing cropped.
    case outside
}

/// A point of the original image, in pixels, that `cover` crops keep in view.
public struct FocalPoint: Sendable, Hashable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// A transform as asked for (query parameters or a preset), validated, before the source and `Accept` are known.
public struct TransformOptions: Sendable, Hashable {
    public var width: Int?
    public var height: Int?
    public var fit: Fit = .cover
    public var withoutEnlargement = false
    /// Letterbox colour for `contain` (sharp's default: opaque black).
    public var background: Colour = .black
    public var quality: Int?
    /// nil keeps the original's format.
    public var format: FormatRequest?
    /// Overrides the file's stored focal point.
    public var focalPoint: FocalPoint?
    public var operations: [TransformOperation] = []

    public init() {}

    /// Applies `transforms` entries in order, as sharp applies chained calls: the last `resize` and the last
    /// format win; other operations accumulate.
    mutating func apply(_ parsed: ParsedTransform) {
        switch parsed {
        case .operation(let operation):
            operations.append(operation)
        case .resize(let resize):
            width = resize.width
            height = resize.height
            fit = resize.fit ?? .cover
            withoutEnlargement = resize.withoutEnlargement ?? false
            background = resize.background ?? .black
        case .format(let format, let quality):
            self.format = format
            if let quality { self.quality = quality }
        case .nothing:
            break
        }
    }

    /// The options with the source and the request's `Accept` known: the form whose text names the derivative.
    public func resolve(source: ImageFormat, storedFocalPoint: FocalPoint?, accept: String?) -> ResolvedTransform {
        let output: OutputFormat
        switch format {
        case nil: output = .fixed(source)
        case .fixed(let f)?: output = .fixed(f)
        case .auto?:
            let accepted = FormatRequest.mediaTypes(accept)
            output = accepted.contains("image/avif") ? .fixed(.avif) : accepted.contains("image/webp") ? .fixed(.webp) : .byAlpha
        }
        var resolved = self
        resolved.format = nil
        resolved.quality = quality ?? output.defaultQuality
        // Only a fixed-size cover crop has a focal point to honour.
        resolved.focalPoint = width != nil && height != nil && fit == .cover ? (focalPoint ?? storedFocalPoint) : nil
        if width == nil || height == nil { resolved.fit = .cover }
        if fit != .contain || width == nil || height == nil { resolved.background = .black }
        return ResolvedTransform(options: resolved, output: output, varyAccept: format == .auto)
    }
}

/// The output format once `auto` is resolved: fixed, or — when the client takes neither AVIF nor WebP — PNG for
/// sources with alpha and JPEG for the rest, decided from the source's header.
public enum OutputFormat: Sendable, Hashable {
    case fixed(ImageFormat)
    case byAlpha

    func format(hasAlpha: Bool) -> ImageFormat {
        switch self {
        case .fixed(let f): f
        case .byAlpha: hasAlpha ? .png : .jpeg
        }
    }

    var defaultQuality: Int {
        switch self {
        case .fixed(let f): f.defaultQuality
        case .byAlpha: ImageFormat.jpeg.defaultQuality
        }
    }
}
