/// The Dublin Core properties of an XMP packet that Directus keeps: `title`, `description`, `rights`,
/// `creator` (text of the first `<dc:…>` element, tags removed) and `subject` (the items of its `rdf:Bag`, as an
/// array). Plain text search, case-insensitive, as Directus's regular expressions do; no XML parser runs.
enum XMPReader {
    static let properties = ["title", "description", "rights", "creator", "subject"]

    static func read(_ bytes: [UInt8], keep: MetadataSelection) -> [MetadataField] {
        let wanted = properties.filter { keep("xmp", $0) }
        guard !wanted.isEmpty else { return [] }
        let text = MetadataText.decode(bytes)
        var fields: [MetadataField] = []
        for name in wanted {
            guard let inner = between(text, "<dc:\(name)>", "</dc:\(name)>") else { continue }
            let value = inner.trimmingCharacters(in: .whitespacesAndNewlines)
            if value.lowercased().hasPrefix("<rdf:bag>") {
                var items: [MetadataValue] = []
                var rest = Substring(value)
                while let range = rest.range(of: "<rdf:li>", options: .caseInsensitive),
                      let close = rest[range.upperBound...].range(of: "</rdf:li>", options: .caseInsensitive) {
                    items.append(.string(String(rest[range.upperBound..<close.lowerBound])))
                    rest = rest[close.upperBound...]
                }
                fields.append(MetadataField(name, .array(items)))
            } else {
                fields.append(MetadataField(name, .string(strippingTags(value).trimmingCharacters(in: .whitespacesAndNewlines))))
            }
        }
        return fields
    }

    private static func between(_ text: String, _ open: String, _ close: String) -> Substring? {
        guard let start = text.range(of: open, options: .caseInsensitive),
              let end = text[start.upperBound...].range(of: close, options: .caseInsensitive) else { return nil }
        return text[start.upperBound..<end.lowerBound]
    }

    /// Removes `<…>` (and a `<…` left open at the end).
    private static func strippingTags(_ text: String) -> String {
        var out = ""
        var inTag = false
        for character in text {
            if character == "<" { inTag = true } else if character == ">" && inTag { inTag = false } else if !inTag { out.append(character) }
        }
        return out
    }
}
