import CSQLite
import Foundation

/// One sqlite3 handle. Used by one pool thread at a time (the pool guarantees it).
final class SQLiteConnection: DatabaseConnection, PooledConnection, @unchecked Sendable {
    private var handle: OpaquePointer?
    let dialect = SQLDialect.sqlite
    var isBroken: Bool { handle == nil }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Opens `path`; a reader refuses writes (`query_only`) so that writes can only go through the single writer.
    init(path: String, reader: Bool) throws {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(db)
            throw DatabaseError.unavailable("SQLite \(path): \(message)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 10_000)
        try execute("PRAGMA foreign_keys = ON")
        try execute("PRAGMA synchronous = NORMAL")
        if reader {
            try execute("PRAGMA query_only = ON")
        } else {
            _ = try query("PRAGMA journal_mode = WAL")
        }
    }

    func close() {
        sqlite3_close_v2(handle)
        handle = nil
    }

    deinit { sqlite3_close_v2(handle) }

    func query(_ sql: String, _ binds: [DatabaseValue]) throws -> [Row] {
        let statement = try prepare(sql, binds)
        defer { sqlite3_finalize(statement) }
        let count = sqlite3_column_count(statement)
        let columns = (0..<count).map { String(cString: sqlite3_column_name(statement, $0)) }
        var rows: [Row] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc) }
            var values: [DatabaseValue] = []
            values.reserveCapacity(Int(count))
            for i in 0..<count { values.append(column(statement, i)) }
            rows.append(Row(columns: columns, values: values))
        }
        return rows
    }

    @discardableResult
    func execute(_ sql: String, _ binds: [DatabaseValue]) throws -> Int {
        let statement = try prepare(sql, binds)
        defer { sqlite3_finalize(statement) }
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            if rc != SQLITE_ROW { throw error(rc) }
        }
        return Int(sqlite3_changes(handle))
    }

    private func prepare(_ sql: String, _ binds: [DatabaseValue]) throws -> OpaquePointer {
        guard let handle else { throw DatabaseError.closed }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error(rc) }
        for (offset, value) in binds.enumerated() {
            let index = Int32(offset + 1)
            let brc: Int32
            switch value {
            case .null: brc = sqlite3_bind_null(statement, index)
            case .integer(let i): brc = sqlite3_bind_int64(statement, index, i)
            case .double(let d): brc = sqlite3_bind_double(statement, index, d)
            case .boolean(let b): brc = sqlite3_bind_int64(statement, index, b ? 1 : 0)
            case .text(let s): brc = sqlite3_bind_text(statement, index, s, -1, Self.transient)
            case .blob(let bytes):
                brc = bytes.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), Self.transient) }
            }
            if brc != SQLITE_OK {
                sqlite3_finalize(statement)
                throw error(brc)
            }
        }
        return statement
    }

    private func column(_ statement: OpaquePointer, _ i: Int32) -> DatabaseValue {
        switch sqlite3_column_type(statement, i) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, i))
        case SQLITE_FLOAT: return .double(sqlite3_column_double(statement, i))
        case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(statement, i)))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, i))
            guard count > 0, let base = sqlite3_column_blob(statement, i) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: base, count: count)))
        default: return .null
        }
    }

    /// Maps SQLite's extended result codes; the kind of a constraint comes from the code, not the message.
    private func error(_ rc: Int32) -> DatabaseError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed"
        let kind: ConstraintViolation.Kind? = switch rc {
        case 2067, 1555: .unique          // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
        case 1299: .notNull               // SQLITE_CONSTRAINT_NOTNULL
        case 787: .foreignKey             // SQLITE_CONSTRAINT_FOREIGNKEY
        case 275: .check                  // SQLITE_CONSTRAINT_CHECK
        case 18: .valueTooLong            // SQLITE_TOOBIG
        default: nil
        }
        if let kind {
            // SQLite names the column only inside its message ("UNIQUE constraint failed: t.c").
            let target = message.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
            let parts = target?.split(separator: ",").first?.split(separator: ".").map(String.init) ?? []
            return .constraint(ConstraintViolation(kind: kind, table: parts.count == 2 ? parts[0] : nil,
                                                   column: parts.count == 2 ? parts[1] : nil, message: message))
        }
        if rc & 0xff == SQLITE_BUSY || rc & 0xff == SQLITE_LOCKED || rc & 0xff == SQLITE_CANTOPEN || rc & 0xff == SQLITE_IOERR {
            return .unavailable(message)
        }
        return .statement(message: message, code: "SQLITE_\(rc)")
    }
}
