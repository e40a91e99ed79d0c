/// The elements of a top-level JSON array read one at a time from a spooled file: only the current element's
/// bytes are held, so an import's memory does not grow with its file.
struct JSONArrayReader {
    private var bytes: FileChunks
    /// An element larger than this is refused (`MAX_PAYLOAD_SIZE`: no row may be larger than a request).
    let maxElementBytes: Int
    private var started = false
    private var finished = false

    init(path: String, maxElementBytes: Int) throws {
        bytes = try FileChunks(path: path)
        self.maxElementBytes = maxElementBytes
    }

    static let notAnArray = CMSError.invalidPayload("The file must be a JSON array of objects")

    /// The next element, nil after the last one.
    mutating func next() throws -> JSONValue? {
        guard !finished else { return nil }
        if !started {
            try skipByteOrderMark()
            try skipWhitespace()
            guard try bytes.next() == UInt8(ascii: "[") else { throw Self.notAnArray }
            started = true
            try skipWhitespace()
            if try bytes.peek() == UInt8(ascii: "]") { return try end() }
        } else {
            try skipWhitespace()
            let separator = try bytes.next()
            if separator == UInt8(ascii: "]") { return try end() }
            guard separator == UInt8(ascii: ",") else { throw Self.notAnArray }
            try skipWhitespace()
        }
        let bytes = try element()
        do { return try JSONValue.parse(bytes) } catch { throw Self.notAnArray }
    }

    /// The bytes of one element: up to the `,` or `]` that ends it at depth 0, outside strings.
    private mutating func element() throws -> [UInt8] {
        var out: [UInt8] = []
        var depth = 0, inString = false, escaped = false
        while let byte = try bytes.peek() {
            if !inString, depth == 0, byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") { break }
            _ = try bytes.next()
            out.append(byte)
            guard out.count <= maxElementBytes else {
                throw CMSError(code: "CONTENT_TOO_LARGE", status: 413, message: "A row of the file is larger than \(maxElementBytes) bytes.")
            }
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                guard depth >= 0 else { throw Self.notAnArray }
            default: break
            }
        }
        guard try bytes.peek() != nil, !out.isEmpty else { throw Self.notAnArray }
        return out
    }

    /// After the closing `]` only whitespace may follow.
    private mutating func end() throws -> JSONValue? {
        finished = true
        try skipWhitespace()
        guard try bytes.peek() == nil else { throw Self.notAnArray }
        return nil
    }

    private mutating func skipWhitespace() throws {
        while let byte = try bytes.peek(), [0x20, 0x09, 0x0A, 0x0D].contains(byte) { _ = try bytes.next() }
    }

    private mutating func skipByteOrderMark() throws {
        guard try bytes.peek() == 0xEF else { return }
        for expected: UInt8 in [0xEF, 0xBB, 0xBF] { guard try bytes.next() == expected else { throw Self.notAnArray } }
    }
}
