/// A `Range: bytes=…` header against an object of known size (RFC 9110 §14).
enum ByteRange: Equatable {
    /// No usable range: serve the whole object (absent, not bytes, or several ranges).
    case whole
    /// One satisfiable range, inclusive offsets.
    case part(ClosedRange<Int64>)
    /// Syntactically valid but outside the object: 416.
    case unsatisfiable

    static func parse(_ header: String?, size: Int64) -> ByteRange {
        guard let header = header?.trimmingCharacters(in: .whitespaces), header.lowercased().hasPrefix("bytes=") else { return .whole }
        let spec = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        // Several ranges would need multipart/byteranges; serving the whole object is allowed instead.
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .whole }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        if first.isEmpty {
            // Suffix range: the last N bytes.
            guard let count = Int64(last), !last.hasPrefix("+") else { return .whole }
            guard count > 0, size > 0 else { return .unsatisfiable }
            return .part(max(0, size - count)...(size - 1))
        }
        guard let start = Int64(first), start >= 0, !first.hasPrefix("+") else { return .whole }
        let end: Int64
        if last.isEmpty { end = size - 1 } else {
            guard let parsed = Int64(last), parsed >= start, !last.hasPrefix("+") else { return .whole }
            end = min(parsed, size - 1)
        }
        guard start < size else { return .unsatisfiable }
        return .part(start...end)
    }
}
