import Foundation

/// The project settings that govern transforms.
public struct AssetSettings: Sendable {
    public var policy: TransformPolicy
    public var presets: [AssetPreset]

    public init(policy: TransformPolicy = .all, presets: [AssetPreset] = []) {
        self.policy = policy
        self.presets = presets
    }
}

/// Reads a transform from `/assets/:id` query parameters under the project's settings and limits.
public enum TransformRequest {
    /// Directus's `ASSET_TRANSFORM_QUERY_KEYS`.
    public static let parameterNames: Set<String> = [
        "key", "transforms", "width", "height", "fit", "format", "quality", "withoutEnlargement", "focal_point_x", "focal_point_y",
    ]

    /// nil when the query asks for no transform (the original is served).
    public static func parse(_ query: [String: String], settings: AssetSettings,
                             limits: AssetsConfiguration) throws(AssetsError) -> TransformOptions? {
        let asked = query.keys.filter(parameterNames.contains)
        guard !asked.isEmpty else { return nil }
        if let key = query["key"] {
            guard asked.count == 1 else {
                throw .invalidQuery("You can't combine the \"key\" query parameter with any other transformation.")
            }
            return try preset(key, settings: settings)
        }
        switch settings.policy {
        case .all: break
        case .presets: throw .illegal("Only configured presets can be used in asset generation.")
        case .none: throw .illegal("Dynamic asset generation has been disabled for this project.")
        }
        return try adHoc(query, limits: limits)
    }

    private static func preset(_ key: String, settings: AssetSettings) throws(AssetsError) -> TransformOptions {
        if let system = AssetPreset.system.first(where: { $0.key == key }) { return try system.options.get() }
        guard settings.policy != .none else { throw .illegal("Dynamic asset generation has been disabled for this project.") }
        guard let preset = settings.presets.last(where: { $0.key == key }) else { throw .illegal("Key \"\(key)\" isn't configured.") }
        return try preset.options.get()
    }

    /// Directus's order: `transforms` first, then `format`/`quality` as a `toFormat`, then the resize.
    private static func adHoc(_ query: [String: String], limits: AssetsConfiguration) throws(AssetsError) -> TransformOptions {
        var options = TransformOptions()
        if let text = query["transforms"], !text.isEmpty {
            // Directus's asset route answers INVALID_QUERY for a `transforms` that is not a JSON array, or too long.
            guard let list = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) as? [Any] else {
                throw .invalidQuery("\"transforms\" Parameter needs to be a JSON array of allowed transformations.")
            }
            guard list.count <= limits.maxOperations else {
                throw .invalidQuery("\"transforms\" Parameter is only allowed \(limits.maxOperations) transformations.")
            }
            for entry in list { options.apply(try TransformParser.parse(entry, maxDimension: limits.maxDimension)) }
        }
        let format = try query["format"].flatMap(nonEmpty).map { name throws(AssetsError) -> FormatRequest in
            guard let format = FormatRequest(name: name) else { throw .illegal("\"format\" must be one of jpg, png, webp, avif, tiff, auto.") }
            return format
        }
        let quality = try query["quality"].flatMap(nonEmpty).map { q throws(AssetsError) in try TransformParser.quality(q) }
        if let format { options.format = format }
        if let quality { options.quality = quality }

        let width = try query["width"].flatMap(nonEmpty).map { v throws(AssetsError) in try TransformParser.dimension(v, "width", limits.maxDimension) }
        let height = try query["height"].flatMap(nonEmpty).map { v throws(AssetsError) in try TransformParser.dimension(v, "height", limits.maxDimension) }
        let fit = try query["fit"].flatMap(nonEmpty).map { name throws(AssetsError) -> Fit in
            guard let fit = Fit(rawValue: name) else { throw .illegal("\"fit\" must be one of cover, contain, inside, outside.") }
            return fit
        }
        if width != nil || height != nil {
            options.apply(.resize(ResizeRequest(width: width, height: height, fit: fit,
                                                withoutEnlargement: query["withoutEnlargement"].flatMap(JSONArgument.bool))))
        }
        if query["focal_point_x"] != nil || query["focal_point_y"] != nil {
            guard let x = query["focal_point_x"].flatMap(JSONArgument.number), let y = query["focal_point_y"].flatMap(JSONArgument.number),
                  x >= 0, y >= 0 else { throw .illegal("\"focal_point_x\" and \"focal_point_y\" must both be given, in pixels.") }
            options.focalPoint = FocalPoint(x: x, y: y)
        }
        return options
    }

    private static func nonEmpty(_ s: String) -> String? { s.isEmpty ? nil : s }
}
