import CLibPQ
import Foundation

/// One libpq connection. Used by one pool thread at a time (the pool guarantees it).
final class PostgresConnection: DatabaseConnection, PooledConnection, @unchecked Sendable {
    private var conn: OpaquePointer?
    private(set) var isBroken = false
    let dialect = SQLDialect.postgres

    init(connectionString: String) throws {
        conn = PQconnectdb(connectionString)
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = Self.connectionMessage(conn)
            PQfinish(conn)
            conn = nil
            throw DatabaseError.unavailable("PostgreSQL: \(message)")
        }
        try configureSession()
    }

    private func configureSession() throws {
        // UTC and ISO output, so timestamps read the same on both dialects.
        _ = try run("SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET client_min_messages = 'warning'", [], multiple: true)
    }

    func close() {
        PQfinish(conn)
        conn = nil
        isBroken = true
    }

    deinit { PQfinish(conn) }

    func query(_ sql: String, _ binds: [DatabaseValue]) throws -> [Row] {
        let result = try run(sql, binds)
        defer { PQclear(result) }
        return rows(result)
    }

    @discardableResult
    func execute(_ sql: String, _ binds: [DatabaseValue]) throws -> Int {
        let result = try run(sql, binds)
        defer { PQclear(result) }
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// A connection whose server went away (restart, failover) is reset before use. libpq's socket is
    /// non-blocking, so `PQconsumeInput` never waits; it is called twice because the first call returns as soon as
    /// it has read the server's termination message, and only the second sees the end of the stream.
    private func ensureAlive() throws {
        guard let conn else { throw DatabaseError.closed }
        if PQstatus(conn) != CONNECTION_OK || PQconsumeInput(conn) == 0 || PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK {
            try reset()
        }
    }

    /// Opens a new session on the same connection object.
    private func reset() throws {
        PQreset(conn)
        guard PQstatus(conn) == CONNECTION_OK else {
            isBroken = true
            throw DatabaseError.unavailable("PostgreSQL: \(Self.connectionMessage(conn))")
        }
        isBroken = false
        try configureSession()
    }

    private func run(_ sql: String, _ binds: [DatabaseValue], multiple: Bool = false) throws -> OpaquePointer {
        let idle = conn.map { PQtransactionStatus($0) == PQTRANS_IDLE } ?? false
        do {
            return try attempt(sql, binds, multiple: multiple)
        } catch let ended as SessionEnded {
            // The server ended the session (57P0x) before running the statement: outside a transaction it is
            // safe to run it once more on a new session.
            guard idle else { throw ended.unavailable }
            try reset()
            do { return try attempt(sql, binds, multiple: multiple) } catch let again as SessionEnded { throw again.unavailable }
        }
    }

    /// The server terminated the session (admin shutdown, crash recovery, restart): SQLSTATE class 57P0.
    private struct SessionEnded: Error {
        let message: String
        var unavailable: DatabaseError { .unavailable("PostgreSQL: \(message)") }
    }

    private func attempt(_ sql: String, _ binds: [DatabaseValue], multiple: Bool) throws -> OpaquePointer {
        try ensureAlive()
        let result: OpaquePointer?
        if multiple {
            result = PQexec(conn, sql)
        } else {
            result = try execParams(PlaceholderRewriter.postgres(sql), binds)
        }
        guard let result else {
            if PQstatus(conn) != CONNECTION_OK { isBroken = true }
            throw DatabaseError.unavailable("PostgreSQL: \(Self.connectionMessage(conn))")
        }
        let status = PQresultStatus(result)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK { return result }
        defer { PQclear(result) }
        if PQstatus(conn) != CONNECTION_OK { isBroken = true }
        if Self.field(result, "C")?.hasPrefix("57P0") == true { throw SessionEnded(message: Self.field(result, "M") ?? "session ended") }
        throw completeColumn(Self.error(result, connectionBad: isBroken))
    }

    /// PostgreSQL names the column of a NOT NULL violation but only the constraint of a unique, foreign-key or
    /// check violation; its columns come from the catalog. Inside a failed transaction the catalog cannot be read,
    /// and the column stays unknown.
    func completeColumn(_ error: DatabaseError) -> DatabaseError {
        guard case .constraint(let v) = error, v.column == nil, let constraint = v.constraintName, let table = v.table,
              let conn, PQtransactionStatus(conn) == PQTRANS_IDLE,
              let rows = try? query(Self.constraintColumnSQL, [.text(constraint), .text(table)]),
              let column = rows.first?["attname"].string
        else { return error }
        return .constraint(ConstraintViolation(kind: v.kind, table: table, column: column, message: v.message, constraintName: constraint))
    }

    private static let constraintColumnSQL = """
        SELECT a.attname FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.conname = ? AND c.conrelid = to_regclass(quote_ident(?))
        """

    private func execParams(_ sql: String, _ binds: [DatabaseValue]) throws -> OpaquePointer? {
        let count = binds.count
        var types = [Oid](repeating: 0, count: count)
        var lengths = [Int32](repeating: 0, count: count)
        var formats = [Int32](repeating: 0, count: count)
        var buffers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        defer { buffers.forEach { free($0) } }
        for (i, value) in binds.enumerated() {
            switch value {
            case .null: break
            case .integer(let v): buffers[i] = strdup(String(v))
            case .double(let v): buffers[i] = strdup(v.isFinite ? "\(v)" : (v.isNaN ? "NaN" : (v > 0 ? "Infinity" : "-Infinity")))
            case .boolean(let v): buffers[i] = strdup(v ? "true" : "false"); types[i] = 16
            case .text(let v):
                guard !v.utf8.contains(0) else {
                    throw DatabaseError.statement(message: "text value contains a NUL byte", code: "22021")
                }
                buffers[i] = strdup(v)
            case .blob(let bytes):
                let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, bytes.count))
                bytes.withUnsafeBytes { raw in
                    if let base = raw.baseAddress { memcpy(buffer, base, raw.count) }
                }
                buffers[i] = buffer
                lengths[i] = Int32(bytes.count)
                formats[i] = 1
                types[i] = 17
            }
        }
        if count == 0 { return PQexecParams(conn, sql, 0, nil, nil, nil, nil, 0) }
        let values = buffers.map { $0.map { UnsafePointer<CChar>($0) } }
        return PQexecParams(conn, sql, Int32(count), types, values, lengths, formats, 0)
    }

    private func rows(_ result: OpaquePointer) -> [Row] {
        let fieldCount = PQnfields(result)
        let columns = (0..<fieldCount).map { String(cString: PQfname(result, $0)) }
        let types = (0..<fieldCount).map { PQftype(result, $0) }
        return (0..<PQntuples(result)).map { row in
            Row(columns: columns, values: (0..<fieldCount).map { field in
                if PQgetisnull(result, row, field) == 1 { return .null }
                let text = String(cString: PQgetvalue(result, row, field))
                return Self.value(text, type: types[Int(field)])
            })
        }
    }

    private static func value(_ text: String, type: Oid) -> DatabaseValue {
        switch type {
        case 16: return .boolean(text == "t")
        case 20, 21, 23, 26: return Int64(text).map { .integer($0) } ?? .text(text)
        case 700, 701: return Double(text).map { .double($0) } ?? .text(text)
        case 17: return .blob(decodeHex(text))
        case 1184, 1114: return .text(normaliseTimestamp(text))
        default: return .text(text)
        }
    }

    /// `2026-11-22 15:37:12.123456+00` → `2026-11-22T15:37:12.123Z`, the shape SQLite rows have too.
    static func normaliseTimestamp(_ text: String) -> String {
        var s = Substring(text)
        if s.hasSuffix("+00") { s = s.dropLast(3) }
        let (date, time) = (s.prefix(10), s.dropFirst(11))
        let seconds = time.prefix(8)
        var fraction = time.dropFirst(9).prefix(3)
        if time.count <= 8 { fraction = "" }
        return "\(date)T\(seconds).\(fraction.padding(toLength: 3, withPad: "0", startingAt: 0))Z"
    }

    private static func decodeHex(_ text: String) -> [UInt8] {
        let hex = Array(text.utf8.dropFirst(2))   // "\x" prefix
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.count / 2)
        var i = 0
        while i + 1 < hex.count {
            let pair = String(decoding: hex[i...i + 1], as: UTF8.self)
            bytes.append(UInt8(pair, radix: 16) ?? 0)
            i += 2
        }
        return bytes
    }

    private static func connectionMessage(_ conn: OpaquePointer?) -> String {
        guard let conn, let message = PQerrorMessage(conn) else { return "no connection" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func field(_ result: OpaquePointer, _ code: Character) -> String? {
        guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
        return String(cString: value)
    }

    /// Maps SQLSTATE codes; libpq reports the table and column of a violation in separate fields.
    private static func error(_ result: OpaquePointer, connectionBad: Bool) -> DatabaseError {
        let state = field(result, "C") ?? ""
        let message = field(result, "M") ?? "unknown error"
        if connectionBad || state.hasPrefix("08") {
            return .unavailable("PostgreSQL: \(message)")
        }
        let kind: ConstraintViolation.Kind? = switch state {
        case "23505": .unique
        case "23502": .notNull
        case "23503": .foreignKey
        case "23514": .check
        case "22001": .valueTooLong
        case "22003": .outOfRange
        default: nil
        }
        if let kind {
            return .constraint(ConstraintViolation(kind: kind, table: field(result, "t"), column: field(result, "c") ?? keyColumn(field(result, "D")),
                                                   message: message, constraintName: field(result, "n")))
        }
        return .statement(message: message, code: state)
    }

    /// The first column of a unique or foreign-key violation's detail, `Key (email)=(…) already exists.`: known
    /// even inside a failed transaction, where the catalog can't be asked.
    static func keyColumn(_ detail: String?) -> String? {
        guard let detail, let open = detail.range(of: "Key ("), let close = detail.range(of: ")=(", range: open.upperBound..<detail.endIndex) else { return nil }
        let columns = detail[open.upperBound..<close.lowerBound]
        let first = columns.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        // Quoted identifiers keep their quotes in the detail.
        let name = first.hasPrefix("\"") && first.hasSuffix("\"") && first.count >= 2 ? String(first.dropFirst().dropLast()) : first
        return name.isEmpty ? nil : name
    }
}
