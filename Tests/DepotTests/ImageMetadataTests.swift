@testable import Assets
import CMS
import Foundation
import FuzzHarness
import Testing

/// The embedded-metadata readers (Exif, IPTC, ICC, XMP) against the fixtures of `Fixtures/metadata` (written by its
/// make.py) read through libvips's header, and against hostile blocks: they must end, never trap, and stay bounded.
@Suite struct ImageMetadataTests {
    static let vips = TransformEngineTests.vips
    static let all: MetadataSelection = { _, _ in true }

    static func fixture(_ name: String) throws -> [UInt8] {
        try [UInt8](Data(contentsOf: URL(fileURLWithPath: Repository.fixture("metadata/" + name))))
    }

    static func value(_ sections: [MetadataField], _ section: String, _ key: String) -> MetadataValue? {
        MetadataValue.object(sections)[section]?[key]
    }

    @Test func aJPEGsExifIPTCXMPAndICCReadAsDirectusKeysThem() throws {
        let facts = try #require(Self.vips.inspect(path: Repository.fixture("metadata/photo-exif-iptc-xmp-icc.jpg"), keep: Self.all))
        #expect(facts.width == 400 && facts.height == 225)
        let m = facts.metadata
        #expect(m.map(\.key) == ["ifd0", "ifd1", "exif", "gps", "interop", "icc", "iptc", "xmp"])
        func v(_ section: String, _ key: String) -> MetadataValue? { Self.value(m, section, key) }
        #expect(v("ifd0", "Make") == .string("Canon") && v("ifd0", "Model") == .string("Canon EOS 5D Mark IV"))
        #expect(v("ifd0", "Orientation") == .integer(1) && v("ifd0", "XResolution") == .number(72))
        #expect(v("ifd0", "Software") == .string("Depot fixture 1.0"), "top-level strings are trimmed")
        #expect(v("ifd0", "DateTime") == .string("2024-05-20T17:02:00.000Z"))
        #expect(v("ifd0", "ExifTag") != nil && v("ifd0", "GPSTag") != nil, "pointers are values too")
        #expect(v("ifd1", "Compression") == .integer(6))
        #expect(v("exif", "ExposureTime") == .number(1.0 / 250) && v("exif", "FNumber") == .number(2.8))
        #expect(v("exif", "ISOSpeedRatings") == .integer(400) && v("exif", "FocalLength") == .number(50))
        #expect(v("exif", "ExposureBiasValue") == .number(-1.0 / 3))
        #expect(v("exif", "ExifVersion") == .buffer(Array("0232".utf8)))
        #expect(v("exif", "DateTimeOriginal") == .string("2024-05-20T17:01:59.000Z"))
        #expect(v("exif", "LensSpecification") == .array([.number(50), .number(50), .number(1.8), .number(1.8)]))
        #expect(v("exif", "LensModel") == .string("EF50mm f/1.8 STM"))
        #expect(v("exif", "51199") == .integer(7), "an unknown tag is keyed by its number")
        #expect(v("gps", "GPSVersionID") == .array([.integer(2), .integer(3), .integer(0), .integer(0)]))
        #expect(v("gps", "GPSLatitude") == .array([.number(52), .number(31), .number(12.34)]) && v("gps", "GPSLatitudeRef") == .string("N"))
        #expect(v("interop", "InteroperabilityIndex") == .string("R98"))
        #expect(v("icc", "description") == .string("Depot test RGB") && v("icc", "copyright") == .string("No copyright, use freely"))
        #expect(v("icc", "version") == .string("2.1") && v("icc", "intent") == .string("Perceptual"))
        #expect(v("icc", "deviceClass") == .string("Monitor") && v("icc", "colorSpace") == .string("RGB"))
        #expect(v("icc", "connectionSpace") == .string("XYZ") && v("icc", "platform") == .string("Apple"))
        guard case .array(let white)? = v("icc", "whitepoint"), white.count == 3, case .number(let x) = white[0] else {
            Issue.record("no whitepoint"); return
        }
        #expect(abs(x - 0.9642) < 0.0001)
        #expect(v("iptc", "caption") == .string("A red panda sits in fresh snow."))
        #expect(v("iptc", "keywords") == .array([.string("red panda"), .string("zoo"), .string("Ailurus fulgens")]))
        #expect(v("iptc", "headline") == .string("Red panda in the snow") && v("iptc", "byline") == .string("Jane Doe"))
        #expect(v("iptc", "copyright") == .string("© 2024 Jane Doe") && v("iptc", "dateCreated") == .string("20240520"))
        #expect(MetadataValue.object(m)["iptc"]?.fieldCount == 6, "only record 2's named datasets; the digest's 1C 02 bytes are not IPTC")
        #expect(v("xmp", "title") == .string("Red panda") && v("xmp", "creator") == .string("Jane Doe"))
        #expect(v("xmp", "subject") == .array([.string("red panda"), .string("zoo")]))
    }

    /// Directus's own parsers (exif-reader, icc) on the same blocks: `Fixtures/metadata/reference.json`.
    @Test func theReadersAgreeWithDirectussParsers() throws {
        let reference = try JSONValue.parse(try Self.fixture("reference.json"))
        let jpeg = try Self.fixture("photo-exif-iptc-xmp-icc.jpg")
        let start = try #require(jpeg.indices.first { jpeg[$0...].starts(with: Array("Exif\0\0".utf8)) })
        let length = Int(jpeg[start - 2]) << 8 + Int(jpeg[start - 1]) - 2
        let blocks: [(String, [MetadataField])] = [
            ("exif-big-endian", ExifReader.read(Array(jpeg[start..<start + length]), keep: Self.all)),
            ("exif-little-endian", ExifReader.read(try Self.fixture("exif-little-endian.bin"), keep: Self.all)),
            ("icc-v2", ICCReader.read(try Self.fixture("icc-v2.icc"), keep: Self.all)),
            ("icc-v4", ICCReader.read(try Self.fixture("icc-v4.icc"), keep: Self.all)),
        ]
        for (name, fields) in blocks {
            #expect(Self.canonical(Self.json(.object(fields))) == Self.canonical(try #require(reference[name])), "\(name)")
        }
    }

    static func json(_ value: MetadataValue) -> JSONValue {
        switch value {
        case .null: .null
        case .integer(let n): .int(n)
        case .number(let x): x.isFinite ? .double(x) : .null
        case .string(let text): .string(text)
        case .array(let items): .array(items.map(json))
        case .object(let fields): .object(fields.map { ($0.key, json($0.value)) })
        }
    }

    /// Keys in one order and whole numbers as integers: JSON that says the same compares equal.
    static func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case .double(let x) where x == x.rounded() && abs(x) < 1e15: .int(Int64(x))
        case .array(let items): .array(items.map(canonical))
        case .object(_, let keys): .object(keys.sorted().map { ($0, canonical(value[$0]!)) })
        default: value
        }
    }

    @Test func aPNGsLittleEndianExifAndVersion4ProfileAreRead() throws {
        let facts = try #require(Self.vips.inspect(path: Repository.fixture("metadata/gradient-exif-icc4.png"), keep: Self.all))
        #expect(facts.width == 96 && facts.height == 64)
        #expect(Self.value(facts.metadata, "ifd0", "Model") == .string("Canon EOS 5D Mark IV"))
        #expect(Self.value(facts.metadata, "exif", "FNumber") == .number(2.8))
        #expect(Self.value(facts.metadata, "icc", "description") == .string("Depot test RGB v4"))
        #expect(Self.value(facts.metadata, "icc", "version") == .string("4.3"))
    }

    @Test func onlyTheSelectedValuesAreKept() throws {
        let keep: MetadataSelection = { section, key in (section == "ifd0" && key == "Make") || section == "iptc" && key == "keywords" }
        let facts = try #require(Self.vips.inspect(path: Repository.fixture("metadata/photo-exif-iptc-xmp-icc.jpg"), keep: keep))
        #expect(facts.metadata == [
            MetadataField("ifd0", .object([MetadataField("Make", .string("Canon"))])),
            MetadataField("iptc", .object([MetadataField("keywords", .array([.string("red panda"), .string("zoo"), .string("Ailurus fulgens")]))])),
        ])
    }

    @Test func orientationsFiveToEightSwapTheRecordedSize() throws {
        let turned = try Self.vips.testCard(width: 600, height: 400, orientation: 6)
        let facts = try #require(Self.vips.inspect(bytes: turned, keep: Self.all))
        #expect(facts.width == 400 && facts.height == 600)
        #expect(Self.value(facts.metadata, "ifd0", "Orientation") == .integer(6))
    }

    @Test func datesAreISOStringsOrNull() {
        #expect(ExifReader.date(.string("2008:07:22 22:19:57")) == .string("2008-07-22T22:19:57.000Z"))
        for bad in ["0000:00:00 00:00:00", "2008:13:22 22:19:57", "2008-07-22 22:19:57", "    :  :     :  :  ", ""] {
            #expect(ExifReader.date(.string(bad)) == .null, "\(bad)")
        }
        #expect(ExifReader.date(.integer(5)) == .null)
    }

    @Test func iptcDatasetsAloneExtendedLengthsAndLatin1Text() {
        // TIFF hands the datasets over without a Photoshop block; ISO 8859-1 text is not UTF-8.
        let raw: [UInt8] = [0x1C, 2, 120, 0, 5] + Array("Caf".utf8) + [0xE9, 0x21] + [0x1C, 2, 25, 0x80, 2, 0, 3] + Array("zoo".utf8)
        #expect(IPTCReader.read(raw, keep: Self.all) == [MetadataField("caption", .string("Café!")), MetadataField("keywords", .string("zoo"))])
        // A dataset longer than the block ends the reading; what came before stays.
        let cut: [UInt8] = [0x1C, 2, 105, 0, 2] + Array("ok".utf8) + [0x1C, 2, 120, 0xFF, 0xFF] + Array("short".utf8)
        #expect(IPTCReader.read(cut, keep: Self.all) == [MetadataField("headline", .string("ok"))])
        #expect(IPTCReader.read(Array("not iptc".utf8), keep: Self.all).isEmpty)
    }

    @Test func everyTruncationOfEveryBlockEndsWithinBounds() throws {
        let blocks: [(UInt8, [UInt8])] = [
            (0, Array(try Self.fixture("exif-little-endian.bin"))), (1, try Self.fixture("iptc-photoshop.bin")),
            (2, try Self.fixture("icc-v2.icc")), (2, try Self.fixture("icc-v4.icc")), (3, try Self.fixture("xmp.xml")),
        ]
        for (selector, block) in blocks {
            for length in 0...block.count { FuzzHarness.metadata([selector] + block.prefix(length)) }
        }
        // A truncated profile is no profile: its declared size is not its length.
        #expect(ICCReader.read(Array(try Self.fixture("icc-v2.icc").dropLast()), keep: Self.all).isEmpty)
    }

    @Test func randomlyCorruptedBlocksEndWithinBounds() throws {
        var random = SplitMix(seed: 0x5EED)
        let blocks: [(UInt8, [UInt8])] = [
            (0, try Self.fixture("exif-little-endian.bin")), (1, try Self.fixture("iptc-photoshop.bin")),
            (2, try Self.fixture("icc-v4.icc")), (3, try Self.fixture("xmp.xml")),
        ]
        for (selector, block) in blocks {
            for _ in 0..<3000 {
                var mutated = block
                for _ in 0..<(1 + Int(random.next() % 8)) {
                    let at = Int(random.next() % UInt64(mutated.count))
                    // Bytes that make offsets and counts extreme: 0x00, 0xFF, or anything.
                    mutated[at] = [0x00, 0xFF, UInt8(truncatingIfNeeded: random.next())][Int(random.next() % 3)]
                }
                FuzzHarness.metadata([selector] + mutated)
            }
        }
    }

    @Test func directoriesThatPointAtThemselvesAndFourBillionValueCountsAreBounded() throws {
        let block = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Repository.fixture("fuzz/metadata/exif-loops-and-huge-counts"))))
        let sections = ExifReader.read(Array(block.dropFirst()), keep: Self.all)
        // IFD0 is read once: its pointers back to itself (Exif, GPS, next) read nothing new.
        #expect(sections.map(\.key) == ["ifd0"])
        #expect(Self.value(sections, "ifd0", "DateTimeOriginal") == .null, "a date whose text lies past the block")
        // The hostile corpus's 64 KB Exif of looping pointers and 4 GB counts, through libvips: it ends, bounded.
        let looped = try #require(Self.vips.inspect(path: Repository.fixture("hostile/jpeg-exif-64k-loop.jpg"), keep: Self.all))
        #expect(looped.width == 64)
        FuzzHarness.metadata([0] + Array(repeating: 0xFF, count: 70_000))
    }
}

extension MetadataValue {
    var fieldCount: Int? { if case .object(let fields) = self { fields.count } else { nil } }
}

/// A small deterministic generator (SplitMix64), so that a failing corruption can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49EB_1331_11EB
        return z ^ (z >> 31)
    }
}
