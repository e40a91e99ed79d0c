import CMS
import NIOCore

/// Follows multipart-kit 4.7.1's `MultipartParser` state by state, ahead of it, only to refuse a byte above 0x7F
/// in a part's header name: the parser looks such a byte up in a 128-entry table and traps (index out of range),
/// which would take the whole server down (Fixtures/fuzz-crashes/multipart/non-ascii-header-name). Everything else
/// is left to the parser: where it would throw, the guard stops following.
struct MultipartHeaderGuard {
    private enum State {
        case preamble(Int)
        case preHeaders(expectingLF: Bool)
        case headerName(empty: Bool)
        case headerValue
        case postHeaderValue
        case postHeaders
        case body
        case boundary(Int)
        case done
    }

    private static let cr: UInt8 = 13, lf: UInt8 = 10, colon: UInt8 = 58, hyphen: UInt8 = 45
    /// The parser's delimiter: CRLF, two hyphens, the boundary.
    private let delimiter: [UInt8]
    private var state = State.preamble(0)

    init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    mutating func check(_ chunk: ByteBuffer) throws(CMSError) {
        let allowed = chunk.withUnsafeReadableBytes { bytes in
            var index = 0
            while index < bytes.count {
                if case .body = state {
                    // Only a CR can end a part's content: skip to the next one.
                    guard let cr = bytes[index...].firstIndex(of: Self.cr) else { return true }
                    index = cr
                }
                guard step(bytes[index]) else { return false }
                index += 1
            }
            return true
        }
        if !allowed { throw CMSError.invalidPayload("Malformed multipart body") }
    }

    /// False for a byte the parser would trap on.
    private mutating func step(_ byte: UInt8) -> Bool {
        switch state {
        case .preamble(let matched):
            let next = matched == 0 && byte == delimiter[2] ? 3
                : byte == delimiter[matched] ? matched + 1
                : matched > 0 && byte == delimiter[0] ? 1 : 0
            state = next >= delimiter.count ? .preHeaders(expectingLF: false) : .preamble(next)
        case .preHeaders(let expectingLF):
            if !expectingLF, byte == Self.cr { state = .preHeaders(expectingLF: true) }
            else if expectingLF, byte == Self.lf { state = .headerName(empty: true) }
            else { state = .done }
        case .headerName(let empty):
            if byte == Self.colon, !empty { state = .headerValue }
            else if byte == Self.cr, empty { state = .postHeaders }
            else if byte > 0x7F { return false }
            else { state = .headerName(empty: false) }   // the parser checks the character itself
        case .headerValue:
            if byte == Self.cr { state = .postHeaderValue }
        case .postHeaderValue:
            state = byte == Self.lf ? .headerName(empty: true) : .done
        case .postHeaders:
            state = byte == Self.lf ? .body : .done
        case .body:
            state = byte == Self.cr ? .boundary(1) : .body
        case .boundary(let matched):
            if matched >= delimiter.count {
                state = byte == Self.cr ? .preHeaders(expectingLF: true) : .done   // a hyphen: the epilogue, ignored
            } else if byte == delimiter[matched] {
                state = .boundary(matched + 1)
            } else {
                state = byte == delimiter[0] ? .boundary(1) : .body
            }
        case .done:
            break
        }
        return true
    }
}
