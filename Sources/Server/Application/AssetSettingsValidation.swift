import Assets
import CMS

/// Refuses bad transform settings at `PATCH /settings` rather than at the first image request.
enum AssetSettingsValidation {
    static func validators(_ configuration: AssetsConfiguration) -> [String: SettingsService.Validator] {
        [
            "storage_asset_transform": { value in
                guard value.isNull || value.stringValue.flatMap(TransformPolicy.init(rawValue:)) != nil else {
                    throw CMSError.invalidPayload("\"storage_asset_transform\" must be one of all, none, presets")
                }
            },
            "storage_asset_presets": { value in
                guard !value.isNull else { return }
                let json = String(decoding: value.serialized(), as: UTF8.self)
                do {
                    for preset in try AssetPreset.parse(json: json, maxDimension: configuration.maxDimension) {
                        if case .failure(let error) = preset.options {
                            throw CMSError.invalidPayload("Preset \"\(preset.key)\": \(error.message)")
                        }
                    }
                } catch let error as AssetsError {
                    throw CMSError.invalidPayload(error.message)
                }
            },
        ]
    }
}
