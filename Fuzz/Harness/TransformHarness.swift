@testable import Assets

extension FuzzHarness {
    /// Input: an `/assets/:id` URL query (`width=300&transforms=[["blur",2]]&key=…`), plus harness-only parameters:
    /// `_presets` (the `storage_asset_presets` JSON), `_policy` (all, presets, none), `_accept`, `_source` (a format).
    /// Invariants: parsing throws an AssetsError or gives options within the limits (dimensions, quality, number of
    /// operations, each operation's range), and resolving them gives the same canonical text and hash every time.
    @Sendable public static func transform(_ bytes: [UInt8]) {
        let text = Substring(String(decoding: bytes, as: UTF8.self))
        var query: [String: String] = [:]
        for (key, value) in queryPairs(text) { query[key] = value }
        let limits = AssetsConfiguration()
        let options: TransformOptions?
        do {
            let presets = try AssetPreset.parse(json: query["_presets"], maxDimension: limits.maxDimension)
            let settings = AssetSettings(policy: query["_policy"].flatMap(TransformPolicy.init(rawValue:)) ?? .all, presets: presets)
            options = try TransformRequest.parse(query, settings: settings, limits: limits)
        } catch {
            log("refused: \(error)")
            return   // AssetsError: refused, as intended
        }
        guard let options else { return }
        for dimension in [options.width, options.height] {
            require(dimension.map { (1...limits.maxDimension).contains($0) } ?? true, "dimension \(dimension!) out of range")
        }
        require(options.quality.map { (1...100).contains($0) } ?? true, "quality \(options.quality!) out of range")
        if query["key"] == nil { require(options.operations.count <= limits.maxOperations, "\(options.operations.count) operations") }
        if let point = options.focalPoint { require(point.x >= 0 && point.y >= 0 && point.x.isFinite && point.y.isFinite, "focal point \(point)") }
        for operation in options.operations {
            let valid = switch operation {
            case .rotate(let angle, _): abs(angle) <= 3600
            case .blur(let sigma): sigma.map { (0.3...1000).contains($0) } ?? true
            case .sharpen(let sigma): (0.000001...10).contains(sigma)
            case .gamma(let a, let b): (1...3).contains(a) && (1...3).contains(b)
            case .median(let size): (1...25).contains(size)
            case .trim(let threshold): (0...255).contains(threshold)
            case .extract(let left, let top, let width, let height): left >= 0 && top >= 0 && width > 0 && height > 0
            case .flip, .flop, .greyscale, .negate, .tint, .normalise, .flatten, .removeAlpha: true
            }
            require(valid, "operation out of range: \(operation)")
        }
        let source = query["_source"].flatMap(ImageFormat.init(name:)) ?? .jpeg
        let first = options.resolve(source: source, storedFocalPoint: FocalPoint(x: 10, y: 20), accept: query["_accept"])
        let again = options.resolve(source: source, storedFocalPoint: FocalPoint(x: 10, y: 20), accept: query["_accept"])
        require(first.canonical == again.canonical && first.hash == again.hash, "canonical text not stable")
        log("canonical: \(first.canonical)")
        require(first.hash.count == 32 && first.hash.allSatisfy(\.isHexDigit), "hash \(first.hash)")
    }
}
