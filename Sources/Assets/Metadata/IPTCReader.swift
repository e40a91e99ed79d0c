/// IPTC-IIM datasets of record 2 (libvips's `iptc-data`: a Photoshop resource block holding them, or the
/// datasets alone) under the names Directus gives them. A dataset that repeats (keywords) becomes an array.
///
/// Directus scans the block for `1C 02` byte pairs; this walks the Photoshop resources to the IPTC one (0x0404) and
/// its datasets, so bytes that merely look like a marker inside another resource are not taken for text.
enum IPTCReader {
    /// Dataset numbers of record 2 and Directus's names for them.
    static let names: [UInt8: String] = [
        120: "caption", 110: "credit", 25: "keywords", 55: "dateCreated", 80: "byline", 85: "bylineTitle",
        122: "captionWriter", 105: "headline", 116: "copyright", 15: "category",
    ]

    static func read(_ bytes: [UInt8], keep: MetadataSelection) -> [MetadataField] {
        let view = ByteView(bytes)
        guard let block = datasets(view) else { return [] }
        var fields: [MetadataField] = []
        var budget = MetadataBudget()
        var at = block.lowerBound
        while at + 5 <= block.upperBound, view.u8(at) == 0x1C, let record = view.u8(at + 1), let dataset = view.u8(at + 2),
              var length = view.u16(at + 3, bigEndian: true).map({ Int($0) }) {
            at += 5
            if length & 0x8000 != 0 {
                // An extended dataset: the low bits say how many bytes hold the length.
                let size = length & 0x7FFF
                guard size <= 4, at + size <= block.upperBound else { break }
                length = (0..<size).reduce(0) { $0 << 8 | Int(bytes[at + $1]) }
                at += size
            }
            guard length <= block.upperBound - at else { break }
            defer { at += length }
            guard record == 2, let name = names[dataset], keep("iptc", name), budget.take(length) else { continue }
            let text = MetadataText.decode(bytes[at..<at + length])
            if let index = fields.firstIndex(where: { $0.key == name }) {
                switch fields[index].value {
                case .array(let values): fields[index] = MetadataField(name, .array(values + [.string(text)]))
                case let single: fields[index] = MetadataField(name, .array([single, .string(text)]))
                }
            } else {
                fields.append(MetadataField(name, .string(text)))
            }
        }
        return fields
    }

    /// Where the datasets are: inside the Photoshop image resource 0x0404 (JPEG's APP13), or the whole block when
    /// it starts with a dataset (TIFF's IPTC tag).
    private static func datasets(_ view: ByteView) -> Range<Int>? {
        if view.u8(0) == 0x1C { return 0..<view.count }
        guard view.matches("Photoshop 3.0\0", at: 0) else { return nil }
        var at = 14
        while view.matches("8BIM", at: at), let id = view.u16(at + 4, bigEndian: true), let nameLength = view.u8(at + 6) {
            // A Pascal name, padded so that its length byte and text fill an even number of bytes.
            let name = (Int(nameLength) + 2) & ~1
            guard let size = view.u32(at + 6 + name, bigEndian: true).map({ Int($0) }) else { return nil }
            let data = at + 10 + name
            guard size <= view.count - data else { return nil }
            if id == 0x0404 { return data..<data + size }
            at = data + size + (size & 1)
        }
        return nil
    }
}

/// Text of metadata values: UTF-8 when it is valid UTF-8 (as IPTC's `ESC % G` and most writers since), else
/// ISO 8859-1 (the older writers' default) rather than replacement characters.
enum MetadataText {
    static func decode(_ bytes: some Collection<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }
}
