import Foundation

/// `settings.storage_asset_transform`: which transforms a request may ask for.
public enum TransformPolicy: String, Sendable {
    /// Any parameters, and any preset.
    case all
    /// Only `key=` of a system or configured preset.
    case presets
    /// Only the system presets.
    case none
}

/// A named transform (`settings.storage_asset_presets[]`, or one of the system presets).
public struct AssetPreset: Sendable {
    public let key: String
    /// The preset's options, or why they are invalid (reported when the preset is used).
    public let options: Result<TransformOptions, AssetsError>

    /// Directus's system presets: always there, usable in every mode.
    public static let system: [AssetPreset] = [
        ("system-small-cover", 64, 64, Fit.cover), ("system-small-contain", 64, nil, .contain),
        ("system-medium-cover", 300, 300, .cover), ("system-medium-contain", 300, nil, .contain),
        ("system-large-cover", 800, 800, .cover), ("system-large-contain", 800, nil, .contain),
    ].map { key, width, height, fit in
        var options = TransformOptions()
        options.width = width
        options.height = height
        options.fit = fit
        options.format = .auto
        return AssetPreset(key: key, options: .success(options))
    }

    /// Presets from the setting's JSON (an array of `{key, fit, width, height, quality, withoutEnlargement, format,
    /// transforms}`). Entries without a key are skipped; an entry with bad values keeps its error.
    public static func parse(json: String?, maxDimension: Int) throws(AssetsError) -> [AssetPreset] {
        guard let json, !json.isEmpty, json != "null" else { return [] }
        guard let list = (try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])) as? [Any] else {
            throw .illegal("\"storage_asset_presets\" must be an array of presets.")
        }
        return list.compactMap { entry in
            guard let object = entry as? [String: Any], let key = object["key"] as? String, !key.isEmpty else { return nil }
            return AssetPreset(key: key, options: Result { () throws(AssetsError) in try options(object, maxDimension: maxDimension) })
        }
    }

    private static func options(_ object: [String: Any], maxDimension: Int) throws(AssetsError) -> TransformOptions {
        var options = TransformOptions()
        for entry in (object["transforms"] as? [Any]) ?? [] {
            options.apply(try TransformParser.parse(entry, maxDimension: maxDimension))
        }
        let width = try object["width"].flatMap(nonNull).map { v throws(AssetsError) in try TransformParser.dimension(v, "width", maxDimension) }
        let height = try object["height"].flatMap(nonNull).map { v throws(AssetsError) in try TransformParser.dimension(v, "height", maxDimension) }
        if width != nil || height != nil {
            var resize = ResizeRequest(width: width, height: height)
            if let fit = object["fit"] as? String {
                guard let value = Fit(rawValue: fit) else { throw .illegal("Unknown fit \"\(fit)\".") }
                resize.fit = value
            }
            resize.withoutEnlargement = JSONArgument.bool(object["withoutEnlargement"])
            options.apply(.resize(resize))
        }
        if let name = object["format"].flatMap(nonNull) as? String, !name.isEmpty {
            guard let format = FormatRequest(name: name) else { throw .illegal("Unknown format \"\(name)\".") }
            options.format = format
        }
        if let quality = object["quality"].flatMap(nonNull) { options.quality = try TransformParser.quality(quality) }
        return options
    }

    private static func nonNull(_ value: Any) -> Any? { value is NSNull ? nil : value }
}
