/// Why an import was refused, as Directus reports it: row errors that name a field are grouped by code and by
/// field (and type), each with the rows it happened on; an error that names no field is answered alone.
public struct ImportFailure: Error, Sendable {
    public struct Entry: Sendable {
        public let error: CMSError
        /// Directus's row list: `{"type": "range", "start", "end"}` for four or more consecutive rows, and one
        /// `{"type": "lines", "rows": […]}` with the others.
        public let rows: JSONValue
    }

    public let entries: [Entry]

    /// The HTTP status: the entries' own when they agree, else 500 (Directus's rule for several errors).
    public var status: Int {
        let statuses = Set(entries.map(\.error.status))
        return statuses.count == 1 ? statuses.first! : 500
    }
}

/// Collects the errors of an import's rows until `limit` of them (`MAX_IMPORT_ERRORS`) or a row error that
/// names no field, which ends the import.
struct ImportErrorTracker {
    let limit: Int
    private var generic: CMSError?
    private var groups: [(key: String, error: CMSError, rows: [Int])] = []
    private(set) var count = 0

    init(limit: Int) { self.limit = max(1, limit) }

    var hasErrors: Bool { count > 0 }
    /// Whether the import should read no further rows.
    var shouldStop: Bool { generic != nil || count >= limit }

    mutating func add(_ error: CMSError, row: Int) {
        count += 1
        guard let field = error.extensions["field"], !field.isEmpty else {
            generic = error
            return
        }
        let key = [error.code, field, error.extensions["type"] ?? ""].joined(separator: "|")
        if let index = groups.firstIndex(where: { $0.key == key }) { groups[index].rows.append(row) }
        else { groups.append((key, error, [row])) }
    }

    var failure: ImportFailure? {
        guard hasErrors else { return nil }
        if let generic { return ImportFailure(entries: [.init(error: generic, rows: .null)]) }
        // Directus groups by code first, then by field within the code.
        var codes: [String] = []
        for group in groups where !codes.contains(group.error.code) { codes.append(group.error.code) }
        let ordered = codes.flatMap { code in groups.filter { $0.error.code == code } }
        return ImportFailure(entries: ordered.map { group in
            var extensions = ["field": group.error.extensions["field"]!]
            if let type = group.error.extensions["type"] { extensions["type"] = type }
            return .init(error: CMSError(code: group.error.code, status: 400, message: group.error.message, extensions: extensions),
                         rows: Self.ranges(group.rows))
        })
    }

    /// Rows as Directus lists them: runs of four or more as ranges, the rest together as one list of lines.
    static func ranges(_ rows: [Int]) -> JSONValue {
        let sorted = Array(Set(rows)).sorted()
        guard var start = sorted.first else { return .array([]) }
        var out: [JSONValue] = [], lines: [Int] = []
        var previous = start
        func flush() {
            if previous - start + 1 >= 4 {
                out.append(.object([("type", "range"), ("start", .int(Int64(start))), ("end", .int(Int64(previous)))]))
            } else {
                lines += Array(start...previous)
            }
        }
        for row in sorted.dropFirst() {
            if row == previous + 1 { previous = row; continue }
            flush()
            start = row
            previous = row
        }
        flush()
        if !lines.isEmpty { out.append(.object([("type", "lines"), ("rows", .array(lines.map { .int(Int64($0)) }))])) }
        return .array(out)
    }
}
