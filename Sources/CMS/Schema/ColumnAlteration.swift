import Database

/// `PATCH /fields` on PostgreSQL: the column altered in place, one clause per changed property. (SQLite
/// rebuilds the table instead: `TableRebuild`.)
enum ColumnAlteration {
    static func postgres(_ table: String, from before: FieldDefinition, to after: FieldDefinition, on connection: any DatabaseConnection) throws {
        let d = connection.dialect
        let alter = "ALTER TABLE \(d.quote(table)) ALTER COLUMN \(d.quote(after.name))"
        let typeChanged = before.typeSQL(d) != after.typeSQL(d)
        // An old default may not cast to the new type: it goes first and comes back after.
        if typeChanged || before.defaultClause(d) != after.defaultClause(d) { try connection.execute("\(alter) DROP DEFAULT") }
        if typeChanged, let type = after.typeSQL(d) {
            try connection.execute("\(alter) TYPE \(type) USING \(d.quote(after.name))::\(type)")
        }
        if let value = after.defaultClause(d) { try connection.execute("\(alter) SET DEFAULT \(value)") }
        if before.nullable != after.nullable { try connection.execute("\(alter) \(after.nullable ? "DROP" : "SET") NOT NULL") }
        if before.unique != after.unique {
            try connection.execute(after.unique ? after.uniqueIndexSQL(table: table, d) : "DROP INDEX IF EXISTS \(d.quote("\(table)_\(after.name)_unique"))")
        }
    }

    /// A shorter `max_length` than a stored value is VALUE_TOO_LONG (PostgreSQL's cast would cut it short
    /// silently; SQLite does not check lengths at all).
    static func checkLength(_ table: String, before: FieldDefinition, after: FieldDefinition, on connection: any DatabaseConnection) throws {
        guard let length = after.maxLength, [.string, .hash].contains(after.type), before.maxLength.map({ length < $0 }) ?? true else { return }
        let d = connection.dialect
        if try !connection.query("SELECT 1 FROM \(d.quote(table)) WHERE length(\(d.quote(after.name))) > ? LIMIT 1", [.integer(Int64(length))]).isEmpty {
            throw DatabaseError.constraint(ConstraintViolation(kind: .valueTooLong, table: table, column: after.name, message: "stored value longer than the new length"))
        }
    }

    /// SQLite keeps a value that does not convert to a numeric column's type as text: that is a failed
    /// conversion here, as it is on PostgreSQL.
    static func checkSQLiteConversion(_ table: String, before: FieldDefinition, after: FieldDefinition, on connection: any DatabaseConnection) throws {
        guard before.type != after.type, after.type.isNumeric || after.type == .boolean else { return }
        let d = connection.dialect
        if try !connection.query("SELECT 1 FROM \(d.quote(table)) WHERE typeof(\(d.quote(after.name))) IN ('text', 'blob') LIMIT 1").isEmpty {
            throw conversionFailure(after.name)
        }
    }

    static func conversionFailure(_ field: String) -> CMSError {
        CMSError.invalidPayload("Existing values of \"\(field)\" can't be converted to the new type")
    }

    /// Whether a failed statement means the existing values don't fit the new type (SQLSTATE class 22,
    /// datatype mismatch, cannot coerce), as opposed to a fault of the server.
    static func isConversionFailure(_ error: DatabaseError) -> Bool {
        guard case .statement(_, let code) = error else { return false }
        return code.hasPrefix("22") || code == "42804" || code == "42846"
    }
}
