/// An ICC profile's header and descriptive tags, named as the `icc` package (Directus's ICC parser) names them:
/// `version`, `intent`, `cmm`, `deviceClass`, `colorSpace`, `connectionSpace`, `platform`, `manufacturer`,
/// `model`, `creator`, and the `description`, `copyright`, `deviceModelDescription`,
/// `viewingConditionsDescription` and `whitepoint` tags. A profile whose declared size is not its length, or
/// without the `acsp` signature, is not read; a tag that points outside the profile is skipped.
enum ICCReader {
    private static let intents = ["Perceptual", "Relative", "Saturation", "Absolute"]
    /// Signatures the `icc` package spells out.
    private static let signatures: [String: String] = [
        "scnr": "Scanner", "mntr": "Monitor", "prtr": "Printer", "link": "Link", "abst": "Abstract", "spac": "Space",
        "nmcl": "Named color", "appl": "Apple", "adbe": "Adobe", "msft": "Microsoft", "sunw": "Sun Microsystems",
        "sgi": "Silicon Graphics", "tgnt": "Taligent",
    ]
    private static let tags: [String: String] = [
        "desc": "description", "cprt": "copyright", "dmdd": "deviceModelDescription",
        "vued": "viewingConditionsDescription", "wtpt": "whitepoint",
    ]

    static func read(_ bytes: [UInt8], keep: MetadataSelection) -> [MetadataField] {
        let view = ByteView(bytes)
        guard view.count >= 132, view.u32(0, bigEndian: true).map({ Int($0) }) == view.count, view.matches("acsp", at: 36) else { return [] }
        var fields: [MetadataField] = []
        func add(_ key: String, _ value: MetadataValue) {
            guard keep("icc", key) else { return }
            if let index = fields.firstIndex(where: { $0.key == key }) { fields[index] = MetadataField(key, value) }
            else { fields.append(MetadataField(key, value)) }
        }
        let major = bytes[8], minor = bytes[9] >> 4
        if bytes[9] & 0x0F == 0, bytes[10] == 0, bytes[11] == 0 { add("version", .string("\(major).\(minor)")) }
        if let intent = view.u32(64, bigEndian: true), intent < 4 { add("intent", .string(intents[Int(intent)])) }
        for (offset, key) in [(4, "cmm"), (12, "deviceClass"), (16, "colorSpace"), (20, "connectionSpace"), (40, "platform"),
                              (48, "manufacturer"), (52, "model"), (80, "creator")] where view.u32(offset, bigEndian: true) != 0 {
            add(key, .string(signature(view, offset)))
        }
        guard let count = view.u32(128, bigEndian: true).map({ Int($0) }) else { return fields }
        for index in 0..<min(count, (view.count - 132) / 12) {
            let entry = 132 + index * 12
            guard let key = tags[signature(view, entry)], keep("icc", key),
                  let offset = view.u32(entry + 4, bigEndian: true).map({ Int($0) }),
                  let size = view.u32(entry + 8, bigEndian: true).map({ Int($0) }),
                  offset < view.count, size <= view.count - offset, let value = tag(view, offset: offset, size: size) else { continue }
            add(key, value)
        }
        return fields
    }

    /// A four-character field, trimmed, spelled out where the `icc` package does.
    private static func signature(_ view: ByteView, _ offset: Int) -> String {
        let text = String(decoding: view.slice(offset, 4), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return signatures[text.lowercased()] ?? text
    }

    /// One tag's value (`desc`, `text`, `mluc` text or an `XYZ` triple), within its `size` bytes.
    private static func tag(_ view: ByteView, offset: Int, size: Int) -> MetadataValue? {
        let end = offset + size
        switch signature(view, offset) {
        case "desc":
            guard let length = view.u32(offset + 8, bigEndian: true).map({ Int($0) }), length >= 1, length <= size,
                  offset + 12 + length - 1 <= end else { return nil }
            return .string(MetadataText.decode(view.slice(offset + 12, length - 1)))
        case "text":
            guard size >= 8 else { return nil }
            return .string(MetadataText.decode(view.slice(offset + 8, size - 8).reversed().drop(while: { $0 == 0 }).reversed()))
        case "mluc":
            guard view.u32(offset + 12, bigEndian: true) == 12, let names = view.u32(offset + 8, bigEndian: true), names > 0,
                  let length = view.u32(offset + 20, bigEndian: true).map({ Int($0) }),
                  let start = view.u32(offset + 24, bigEndian: true).map({ offset + Int($0) }),
                  start <= end, length <= end - start else { return nil }
            let units = stride(from: start, to: start + length - 1, by: 2).compactMap { view.u16($0, bigEndian: true) }
            return .string(String(decoding: units, as: UTF16.self))
        case "XYZ":
            let values = (0..<3).compactMap { view.u32(offset + 8 + $0 * 4, bigEndian: true) }
            guard values.count == 3, offset + 20 <= end else { return nil }
            return .array(values.map { .number(Double(Int32(bitPattern: $0)) / 65536) })
        default:
            return nil
        }
    }
}
