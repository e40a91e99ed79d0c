/// Bounds-checked reads from untrusted bytes: every read past the end is nil, never a trap. Offsets are `Int`
/// (64-bit), so a 32-bit offset read from the file plus a small base cannot overflow.
struct ByteView {
    let bytes: [UInt8]
    var count: Int { bytes.count }

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func u8(_ at: Int) -> UInt8? { at >= 0 && at < bytes.count ? bytes[at] : nil }

    func u16(_ at: Int, bigEndian: Bool) -> UInt16? {
        guard at >= 0, at <= bytes.count - 2 else { return nil }
        let a = UInt16(bytes[at]), b = UInt16(bytes[at + 1])
        return bigEndian ? a << 8 | b : b << 8 | a
    }

    func u32(_ at: Int, bigEndian: Bool) -> UInt32? {
        guard at >= 0, at <= bytes.count - 4 else { return nil }
        let b = (0..<4).map { UInt32(bytes[at + $0]) }
        return bigEndian ? b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3] : b[3] << 24 | b[2] << 16 | b[1] << 8 | b[0]
    }

    /// `length` bytes from `at`, clamped to the end (as a Node `Buffer.slice` is).
    func slice(_ at: Int, _ length: Int) -> ArraySlice<UInt8> {
        let start = min(max(at, 0), bytes.count)
        let end = length > bytes.count - start ? bytes.count : start + max(length, 0)
        return bytes[start..<end]
    }

    /// Whether `text`'s ASCII bytes stand at `at`.
    func matches(_ text: String, at: Int) -> Bool {
        let ascii = Array(text.utf8)
        return at >= 0 && at <= bytes.count - ascii.count && bytes[at..<at + ascii.count].elementsEqual(ascii)
    }
}
