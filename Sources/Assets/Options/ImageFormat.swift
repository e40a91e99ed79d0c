import CVips

/// An output format of the transform pipeline.
public enum ImageFormat: String, Sendable, Hashable, CaseIterable {
    case jpeg, png, webp, avif, tiff

    /// `jpg`/`jpeg`, `png`, `webp`, `avif`, `tiff`/`tif`.
    init?(name: String) {
        switch name.lowercased() {
        case "jpg", "jpeg": self = .jpeg
        case "png": self = .png
        case "webp": self = .webp
        case "avif": self = .avif
        case "tif", "tiff": self = .tiff
        default: return nil
        }
    }

    /// The format of an original, from its media type; nil for types the pipeline does not transform.
    public init?(mediaType: String) {
        switch mediaType.lowercased() {
        case "image/jpeg", "image/jpg", "image/pjpeg": self = .jpeg
        case "image/png": self = .png
        case "image/webp": self = .webp
        case "image/avif": self = .avif
        case "image/tiff": self = .tiff
        default: return nil
        }
    }

    public var mediaType: String { "image/\(self)" }
    public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }
    public var supportsAlpha: Bool { self != .jpeg }

    /// sharp's default qualities, so that `quality` omitted and `quality=<default>` name the same derivative.
    var defaultQuality: Int {
        switch self {
        case .avif: 50
        case .jpeg, .webp, .tiff: 80
        case .png: 100
        }
    }

    var vipsCode: Int32 {
        switch self {
        case .jpeg: Int32(DEPOT_VIPS_JPEG)
        case .png: Int32(DEPOT_VIPS_PNG)
        case .webp: Int32(DEPOT_VIPS_WEBP)
        case .avif: Int32(DEPOT_VIPS_AVIF)
        case .tiff: Int32(DEPOT_VIPS_TIFF)
        }
    }
}

/// The `format` a request asks for: a fixed one, or `auto` (the best the client's `Accept` allows).
public enum FormatRequest: Sendable, Hashable {
    case fixed(ImageFormat)
    case auto

    init?(name: String) {
        if name.lowercased() == "auto" { self = .auto } else if let format = ImageFormat(name: name) { self = .fixed(format) } else { return nil }
    }

    /// `auto` → AVIF, else WebP, when `Accept` lists them; otherwise PNG for sources with alpha, JPEG for the rest.
    func resolve(accept: String?, sourceHasAlpha: Bool) -> ImageFormat {
        switch self {
        case .fixed(let format): return format
        case .auto:
            let accepted = Self.mediaTypes(accept)
            if accepted.contains("image/avif") { return .avif }
            if accepted.contains("image/webp") { return .webp }
            return sourceHasAlpha ? .png : .jpeg
        }
    }

    /// Media types the client accepts with a non-zero q (wildcards do not count: `*/*` says nothing of AVIF support).
    static func mediaTypes(_ accept: String?) -> Set<String> {
        guard let accept else { return [] }
        var out: Set<String> = []
        for item in accept.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let type = parts.first, !type.isEmpty else { continue }
            let q = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if q > 0 { out.insert(type) }
        }
        return out
    }
}

import Foundation
