@testable import Assets

extension FuzzHarness {
    /// Input: one byte choosing the reader (0 Exif, 1 IPTC, 2 ICC, 3 XMP, by its value modulo 4), then the block as a
    /// loader hands it over (libvips's `exif-data`, `iptc-data`, `icc-profile-data`, `xmp-data`), every value kept.
    /// Invariants: the reader ends, never traps, and keeps no more than `MetadataBudget` allows (strings in bytes,
    /// arrays and buffers in elements) — a 64 KB block may name 4 GB values and point its directories at themselves.
    @Sendable public static func metadata(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        let block = Array(bytes.dropFirst())
        let all: MetadataSelection = { _, _ in true }
        let fields: [MetadataField] = switch selector % 4 {
        case 0: ExifReader.read(block, keep: all)
        case 1: IPTCReader.read(block, keep: all)
        case 2: ICCReader.read(block, keep: all)
        default: XMPReader.read(block, keep: all)
        }
        let cost = fields.reduce(0) { $0 + size($1.value) }
        log("\(fields.map(\.key)) cost \(cost)")
        // Large values come out of the budget; the rest are a few per entry, and an entry takes bytes of the block.
        require(cost <= 2 * MetadataBudget.total + 16 * block.count + 64, "kept \(cost) for a block of \(block.count) bytes")
    }

    /// Bytes of text plus elements of arrays, over a whole value.
    private static func size(_ value: MetadataValue) -> Int {
        switch value {
        case .string(let text): text.utf8.count
        case .array(let items): items.count + items.reduce(0) { $0 + size($1) }
        case .object(let fields): fields.count + fields.reduce(0) { $0 + size($1.value) }
        default: 1
        }
    }
}
