/// The Exif block of an image (libvips's `exif-data`: `Exif\0\0` then a TIFF structure, or the TIFF structure
/// alone) read as exif-reader 2 reads it for Directus, into Directus's sections: `ifd0` (the image directory),
/// `ifd1` (the thumbnail's), `exif`, `gps` and `interop`. Values: one number, an array of numbers, a string
/// (ASCII; text with bytes above 127 and UNDEFINED values are byte buffers), dates as ISO strings.
///
/// The input is untrusted: every offset is checked against the block, each directory is read once (a pointer
/// back to an earlier directory reads nothing new), and values past `MetadataBudget` are left out.
struct ExifReader {
    private let view: ByteView
    /// Where the TIFF header starts: offsets in the block count from there.
    private let base: Int
    private let bigEndian: Bool
    private let keep: MetadataSelection
    private var budget = MetadataBudget()

    /// Sections in Directus's order, each an object; empty when the block is not Exif.
    static func read(_ bytes: [UInt8], keep: @escaping MetadataSelection) -> [MetadataField] {
        guard var reader = ExifReader(bytes, keep: keep) else { return [] }
        return reader.sections()
    }

    private init?(_ bytes: [UInt8], keep: @escaping MetadataSelection) {
        let view = ByteView(bytes)
        let base = view.matches("MM\0*", at: 0) || view.matches("II*\0", at: 0) ? 0 : 6
        guard base == 0 || view.matches("Exif\0", at: 0) else { return nil }
        guard let order = view.u16(base, bigEndian: true), order == 0x4D4D || order == 0x4949 else { return nil }
        self.view = view
        self.base = base
        self.bigEndian = order == 0x4D4D
        self.keep = keep
        guard view.u16(base + 2, bigEndian: bigEndian) == 0x2A else { return nil }
    }

    /// One directory: its kept values, and the numbers of the pointer tags that lead to the others.
    private struct Directory {
        var fields: [MetadataField] = []
        var pointers: [String: Int] = [:]
        /// Where each key stands in `fields`: a repeated tag takes its first place and its last value.
        var places: [String: Int] = [:]

        mutating func set(_ key: String, _ value: MetadataValue) {
            if let place = places[key] { fields[place] = MetadataField(key, value) } else {
                places[key] = fields.count
                fields.append(MetadataField(key, value))
            }
        }
    }

    private mutating func sections() -> [MetadataField] {
        guard let first = view.u32(base + 4, bigEndian: bigEndian).map({ Int($0) + base }), first >= 8 else { return [] }
        var result: [MetadataField] = []
        var visited: Set<Int> = []
        func add(_ name: String, _ directory: Directory?) {
            if let directory, !directory.fields.isEmpty { result.append(MetadataField(name, .object(directory.fields))) }
        }
        let image = read(first, section: "ifd0", names: ExifTags.image, pointers: ["ExifTag", "GPSTag"], visited: &visited)
        add("ifd0", image)
        if let count = view.u16(first, bigEndian: bigEndian),
           let next = view.u32(first + 2 + Int(count) * 12, bigEndian: bigEndian), next != 0 {
            add("ifd1", read(Int(next) + base, section: "ifd1", names: ExifTags.image, pointers: [], visited: &visited))
        }
        let photo = image?.pointers["ExifTag"].flatMap {
            read($0 + base, section: "exif", names: ExifTags.photo, pointers: ["InteroperabilityTag"], visited: &visited)
        }
        add("exif", photo)
        add("gps", image?.pointers["GPSTag"].flatMap { read($0 + base, section: "gps", names: ExifTags.gps, pointers: [], visited: &visited) })
        add("interop", photo?.pointers["InteroperabilityTag"].flatMap {
            read($0 + base, section: "interop", names: ExifTags.interoperability, pointers: [], visited: &visited)
        })
        return result
    }

    /// The directory at `offset`; nil when its entry count or an entry's tag lies past the block (exif-reader
    /// then drops the whole directory) or when it was read already.
    private mutating func read(_ offset: Int, section: String, names: [UInt16: String], pointers: Set<String>,
                               visited: inout Set<Int>) -> Directory? {
        guard visited.insert(offset).inserted, let count = view.u16(offset, bigEndian: bigEndian) else { return nil }
        var directory = Directory()
        for index in 0..<Int(count) {
            let entry = offset + 2 + index * 12
            guard let tag = view.u16(entry, bigEndian: bigEndian) else { return nil }
            let key = names[tag] ?? String(tag)
            if pointers.contains(key), let pointer = scalar(entry + 2) { directory.pointers[key] = pointer }
            // Each kept entry costs its key and number too, so that 87,000 tiny entries are bounded as well.
            guard keep(section, key), budget.take(Self.entryCost), var found = readValue(entry + 2) else { continue }
            if ExifTags.dates.contains(key) { found = Self.date(found) }
            directory.set(key, found)
        }
        return directory
    }

    /// What one kept entry costs the budget besides its value's size.
    static let entryCost = 16

    /// Bytes per value of the TIFF field types 1–10.
    private static let sizes = [1, 1, 2, 4, 8, 1, 1, 2, 4, 8]

    /// The value of the entry whose type field is at `at`; `.null` where exif-reader answers null, nil when the
    /// value would exceed the budget (left out).
    private mutating func readValue(_ at: Int) -> MetadataValue? {
        guard at + 7 <= view.count, let type = view.u16(at, bigEndian: bigEndian), (1...10).contains(type),
              let count = view.u32(at + 2, bigEndian: bigEndian) else { return .null }
        let size = Self.sizes[Int(type) - 1]
        let start: Int
        if UInt64(size) * UInt64(count) <= 4 {
            start = at + 6
        } else {
            guard let pointer = view.u32(at + 6, bigEndian: bigEndian) else { return .null }
            start = Int(pointer) + base
        }
        switch type {
        case 2:
            let text = view.slice(start, Int(count))
            guard budget.take(text.count) else { return nil }
            if text.contains(where: { $0 > 127 }) { return .buffer(text) }
            // exif-reader drops one terminating NUL; padding NULs are dropped too (see the README).
            return .string(String(decoding: text.reversed().drop(while: { $0 == 0 }).reversed(), as: UTF8.self))
        case 7:
            let bytes = view.slice(start, Int(count))
            guard budget.take(bytes.count) else { return nil }
            return .buffer(bytes)
        default:
            if count == 1 { return number(start, type: type) }
            // Only the values that start inside the block, as exif-reader reads them.
            let present = start >= view.count ? 0 : min(Int(count), (view.count - start + size - 1) / size)
            guard budget.take(present) else { return nil }
            return .array((0..<present).map { number(start + $0 * size, type: type) })
        }
    }

    /// The entry's value when it is one positive whole number (what exif-reader follows as a pointer).
    private func scalar(_ at: Int) -> Int? {
        guard let type = view.u16(at, bigEndian: bigEndian), type != 2, type != 7, (1...10).contains(type),
              view.u32(at + 2, bigEndian: bigEndian) == 1 else { return nil }
        let start: Int? = Self.sizes[Int(type) - 1] <= 4 ? at + 6 : view.u32(at + 6, bigEndian: bigEndian).map { Int($0) + base }
        switch start.map({ number($0, type: type) }) {
        case .integer(let n)? where n > 0: return Int(n)
        case .number(let x)? where x > 0 && x < 4_294_967_296 && x == x.rounded(): return Int(x)
        default: return nil
        }
    }

    /// One number of a numeric type at `at`; `.null` when it runs past the block.
    private func number(_ at: Int, type: UInt16) -> MetadataValue {
        let be = bigEndian
        switch type {
        case 1: return view.u8(at).map { MetadataValue.integer(Int64($0)) } ?? .null
        case 3: return view.u16(at, bigEndian: be).map { MetadataValue.integer(Int64($0)) } ?? .null
        case 4: return view.u32(at, bigEndian: be).map { MetadataValue.integer(Int64($0)) } ?? .null
        case 5:
            guard let n = view.u32(at, bigEndian: be), let d = view.u32(at + 4, bigEndian: be) else { return .null }
            return .number(Double(n) / Double(d))
        case 6: return view.u8(at).map { MetadataValue.integer(Int64(Int8(bitPattern: $0))) } ?? .null
        case 8: return view.u16(at, bigEndian: be).map { MetadataValue.integer(Int64(Int16(bitPattern: $0))) } ?? .null
        case 9: return view.u32(at, bigEndian: be).map { MetadataValue.integer(Int64(Int32(bitPattern: $0))) } ?? .null
        case 10:
            guard let n = view.u32(at, bigEndian: be), let d = view.u32(at + 4, bigEndian: be) else { return .null }
            return .number(Double(Int32(bitPattern: n)) / Double(Int32(bitPattern: d)))
        default: return .null
        }
    }

    /// `2008:07:22 22:19:57` → `2008-07-22T22:19:57.000Z` (exif-reader reads it as UTC); anything else → null.
    static func date(_ value: MetadataValue) -> MetadataValue {
        guard case .string(let text) = value else { return .null }
        let bytes = Array(text.utf8)
        let digits: Set<Int> = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        guard bytes.count == 19, bytes[4] == 58, bytes[7] == 58, bytes[10] == 32, bytes[13] == 58, bytes[16] == 58,
              digits.allSatisfy({ (48...57).contains(bytes[$0]) }) else { return .null }
        func n(_ at: Int, _ length: Int) -> Int { bytes[at..<at + length].reduce(0) { $0 * 10 + Int($1 - 48) } }
        let (year, month, day, hour, minute, second) = (n(0, 4), n(5, 2), n(8, 2), n(11, 2), n(14, 2), n(17, 2))
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return .null }
        func two(_ x: Int) -> String { x < 10 ? "0\(x)" : "\(x)" }
        let y = String(repeating: "0", count: 4 - String(year).count) + String(year)
        return .string("\(y)-\(two(month))-\(two(day))T\(two(hour)):\(two(minute)):\(two(second)).000Z")
    }
}
