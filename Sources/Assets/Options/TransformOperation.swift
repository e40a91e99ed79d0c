import Foundation

/// One entry of `transforms`: a sharp method with its arguments, validated. `resize` and `toFormat` (and the
/// format shorthands `jpeg`, `png`, …) are folded into the options instead of standing in this list.
public enum TransformOperation: Sendable, Hashable {
    /// Clockwise degrees; sharp keeps only the last `rotate`.
    case rotate(Double, background: Colour)
    case flip
    case flop
    /// nil sigma: sharp's fast 3×3 box blur.
    case blur(Double?)
    case sharpen(Double)
    case greyscale
    case negate
    case tint(Colour)
    /// sharp's gamma: darken by `gamma` before the resize, brighten by `gammaOut` after.
    case gamma(Double, Double)
    case normalise
    case median(Int)
    case trim(Double)
    case extract(left: Int, top: Int, width: Int, height: Int)
    case flatten(Colour)
    case removeAlpha

    /// sharp methods Directus allows that Depot does not implement: refused with a clear message, not ignored.
    static let unsupported: Set<String> = [
        "extend", "clahe", "convolve", "threshold", "linear", "recomb", "modulate", "toColorspace", "toColourspace",
        "ensureAlpha", "extractChannel", "bandbool",
    ]

    /// Whether the operation changes geometry before the resize (and so needs the whole source decoded).
    var isPreResize: Bool {
        switch self {
        case .extract, .trim: true
        case .rotate(let angle, _): angle.truncatingRemainder(dividingBy: 90) != 0
        default: false
        }
    }

    /// Whether the operation reads its input more than once or out of row order (`normalise` measures the
    /// lightness before it stretches it; a vertical `flip` starts at the last row), so that a source opened for
    /// top-to-bottom reading must be held whole in memory first.
    var needsWholeImage: Bool {
        switch self {
        case .normalise, .flip: true
        default: false
        }
    }

    /// A stable text form: the derivative hash is made of these.
    var canonical: String {
        func n(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x) }
        switch self {
        case .rotate(let a, let bg): return "rotate(\(n(a)),\(bg))"
        case .flip: return "flip"
        case .flop: return "flop"
        case .blur(let s): return "blur(\(s.map(n) ?? ""))"
        case .sharpen(let s): return "sharpen(\(n(s)))"
        case .greyscale: return "greyscale"
        case .negate: return "negate"
        case .tint(let c): return "tint(\(c))"
        case .gamma(let g, let o): return "gamma(\(n(g)),\(n(o)))"
        case .normalise: return "normalise"
        case .median(let s): return "median(\(s))"
        case .trim(let t): return "trim(\(n(t)))"
        case .extract(let l, let t, let w, let h): return "extract(\(l),\(t),\(w),\(h))"
        case .flatten(let c): return "flatten(\(c))"
        case .removeAlpha: return "removeAlpha"
        }
    }
}

/// What one `transforms` entry asks for.
enum ParsedTransform {
    case operation(TransformOperation)
    case resize(ResizeRequest)
    case format(FormatRequest, quality: Int?)
    /// An entry that asks for nothing (`["greyscale", false]`).
    case nothing
}

/// A `resize` from `transforms` or from the query's `width`/`height`/`fit`/`withoutEnlargement`.
struct ResizeRequest: Sendable, Hashable {
    var width: Int?
    var height: Int?
    var fit: Fit?
    var withoutEnlargement: Bool?
    var background: Colour?
}

enum TransformParser {
    /// Parses one `[method, …args]` entry.
    static func parse(_ entry: Any, maxDimension: Int) throws(AssetsError) -> ParsedTransform {
        guard let list = entry as? [Any], let method = list.first as? String else {
            throw .invalidQuery("\"transforms\" Parameter needs to be a JSON array of allowed transformations.")
        }
        let args = Array(list.dropFirst())
        let options = args.last as? [String: Any]
        func number(_ i: Int) -> Double? { i < args.count ? JSONArgument.number(args[i]) : nil }
        func bad(_ why: String) -> AssetsError { .illegal("Transformation \"\(method)\": \(why).") }

        switch method {
        case "rotate":
            let angle = number(0) ?? 0
            guard abs(angle) <= 3600 else { throw bad("angle out of range") }
            let background = options.flatMap { $0["background"] }.flatMap(Colour.parse) ?? .black
            return .operation(.rotate(angle, background: background))
        case "flip": return .operation(.flip)
        case "flop": return .operation(.flop)
        case "blur":
            guard let sigma = number(0) ?? options.flatMap({ JSONArgument.number($0["sigma"]) }) else { return .operation(.blur(nil)) }
            guard (0.3...1000).contains(sigma) else { throw bad("sigma must be between 0.3 and 1000") }
            return .operation(.blur(sigma))
        case "sharpen":
            let sigma = number(0) ?? options.flatMap { JSONArgument.number($0["sigma"]) } ?? 1
            guard (0.000001...10).contains(sigma) else { throw bad("sigma must be between 0.000001 and 10") }
            return .operation(.sharpen(sigma))
        case "grayscale", "greyscale":
            return args.first.flatMap(JSONArgument.bool) == false ? .nothing : .operation(.greyscale)
        case "negate": return .operation(.negate)
        case "tint":
            guard let first = args.first, let colour = Colour.parse(first) else { throw bad("needs a colour") }
            return .operation(.tint(colour))
        case "gamma":
            let gamma = number(0) ?? 2.2
            let gammaOut = number(1) ?? gamma
            guard (1...3).contains(gamma), (1...3).contains(gammaOut) else { throw bad("gamma must be between 1.0 and 3.0") }
            return .operation(.gamma(gamma, gammaOut))
        case "normalize", "normalise": return .operation(.normalise)
        case "median":
            guard let size = args.isEmpty ? 3 : JSONArgument.integer(args[0]), (1...25).contains(size) else { throw bad("size must be a whole number between 1 and 25") }
            return .operation(.median(size))
        case "trim":
            let threshold = number(0) ?? options.flatMap { JSONArgument.number($0["threshold"]) } ?? 10
            guard (0...255).contains(threshold) else { throw bad("threshold must be between 0 and 255") }
            return .operation(.trim(threshold))
        case "extract":
            guard let o = options, let left = JSONArgument.integer(o["left"]), let top = JSONArgument.integer(o["top"]),
                  let width = JSONArgument.integer(o["width"]), let height = JSONArgument.integer(o["height"]),
                  left >= 0, top >= 0, width > 0, height > 0 else { throw bad("needs {left, top, width, height} in pixels") }
            return .operation(.extract(left: left, top: top, width: width, height: height))
        case "flatten":
            return .operation(.flatten(options.flatMap { $0["background"] }.flatMap(Colour.parse) ?? .black))
        case "removeAlpha": return .operation(.removeAlpha)
        case "resize":
            var resize = ResizeRequest()
            if let first = args.first, !(first is [String: Any]) { resize.width = try dimension(first, "width", maxDimension) }
            if args.count > 1, !(args[1] is [String: Any]) { resize.height = try dimension(args[1], "height", maxDimension) }
            if let o = options {
                if let w = o["width"] { resize.width = try dimension(w, "width", maxDimension) }
                if let h = o["height"] { resize.height = try dimension(h, "height", maxDimension) }
                if let fit = o["fit"] {
                    guard let name = fit as? String, let value = Fit(rawValue: name) else { throw bad("unknown fit") }
                    resize.fit = value
                }
                resize.withoutEnlargement = JSONArgument.bool(o["withoutEnlargement"])
                resize.background = o["background"].flatMap(Colour.parse)
            }
            return .resize(resize)
        case "toFormat", "jpeg", "png", "webp", "avif", "tiff":
            let name = method == "toFormat" ? args.first as? String : method
            guard let name, let format = FormatRequest(name: name) else { throw bad("unknown format") }
            let quality = try options.flatMap { $0["quality"] }.map { q throws(AssetsError) in try TransformParser.quality(q) }
            return .format(format, quality: quality)
        default:
            if TransformOperation.unsupported.contains(method) { throw .illegal("Transformation \"\(method)\" is not supported by this server.") }
            throw .invalidQuery("\"transforms\" Parameter needs to be a JSON array of allowed transformations.")
        }
    }

    /// A requested width or height: a positive integer no larger than the configured maximum.
    static func dimension(_ value: Any, _ name: String, _ maximum: Int) throws(AssetsError) -> Int {
        guard let n = JSONArgument.integer(value), n > 0 else { throw .illegal("\"\(name)\" must be a positive integer.") }
        guard n <= maximum else { throw .illegal("\"\(name)\" \(n) is larger than the maximum of \(maximum) pixels.") }
        return n
    }

    static func quality(_ value: Any) throws(AssetsError) -> Int {
        guard let q = JSONArgument.integer(value), (1...100).contains(q) else { throw .illegal("\"quality\" must be an integer from 1 to 100.") }
        return q
    }
}
