import CVips

/// The metadata an image's loader found in its header — libvips's `exif-data`, `icc-profile-data`, `iptc-data`
/// and `xmp-data` blobs — as Directus's sections: `ifd0`, `ifd1`, `exif`, `gps`, `interop`, `icc`, `iptc`, `xmp`.
/// Top-level strings of each section are trimmed, as Directus trims them.
enum ImageMetadata {
    /// Blobs larger than these are not read (a PNG's iCCP or a WebP's EXIF chunk may be any size; what Directus
    /// keeps of them is a few fields).
    static let limits = ["exif-data": 1 << 20, "icc-profile-data": 4 << 20, "iptc-data": 1 << 20, "xmp-data": 1 << 20]

    static func read(_ image: VipsImageHandle, keep: @escaping MetadataSelection) -> [MetadataField] {
        var sections: [MetadataField] = []
        if let exif = blob(image, "exif-data") { sections += ExifReader.read(exif, keep: keep) }
        for (name, section, reader) in [("icc-profile-data", "icc", ICCReader.read), ("iptc-data", "iptc", IPTCReader.read),
                                        ("xmp-data", "xmp", XMPReader.read)] as [(String, String, ([UInt8], MetadataSelection) -> [MetadataField])] {
            guard let bytes = blob(image, name) else { continue }
            let fields = reader(bytes, keep)
            if !fields.isEmpty { sections.append(MetadataField(section, .object(fields))) }
        }
        return sections.map(trimmed)
    }

    /// A copy of the blob `name` when the loader attached one no larger than its limit.
    private static func blob(_ image: VipsImageHandle, _ name: String) -> [UInt8]? {
        var data: UnsafeRawPointer?
        var length = 0
        guard depot_vips_get_blob(image.pointer, name, &data, &length) == 0, let data, length > 0,
              length <= limits[name, default: 0] else { return nil }
        return Array(UnsafeRawBufferPointer(start: data, count: length))
    }

    private static func trimmed(_ section: MetadataField) -> MetadataField {
        guard case .object(let fields) = section.value else { return section }
        return MetadataField(section.key, .object(fields.map { field in
            guard case .string(let text) = field.value else { return field }
            return MetadataField(field.key, .string(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        }))
    }
}
