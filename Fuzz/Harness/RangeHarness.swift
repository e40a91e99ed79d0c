@testable import Server

extension FuzzHarness {
    /// Input: `<object size>\n<Range header>` (a size that isn't a non-negative integer means 1000; no newline: the
    /// whole input is the header and the size is 1000).
    /// Invariants: a `.part` lies within `0..<size`; a header that isn't `bytes=…` means `.whole`; parsing the same
    /// header twice gives the same answer.
    @Sendable public static func range(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        var size: Int64 = 1000
        var header = Substring(text)
        if let newline = text.firstIndex(of: "\n") {
            if let given = Int64(text[..<newline]), given >= 0 { size = given }
            header = text[text.index(after: newline)...]
        }
        let parsed = ByteRange.parse(String(header), size: size)
        switch parsed {
        case .part(let range):
            require(range.lowerBound >= 0 && range.upperBound < size, "\(range) outside 0..<\(size) for \(header.debugDescription)")
        case .unsatisfiable:
            require(header.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("bytes="), "416 for a header that isn't bytes=")
        case .whole:
            break
        }
        require(ByteRange.parse(String(header), size: size) == parsed, "not deterministic")
    }
}
