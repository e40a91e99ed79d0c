/// A field function of the query language: `year(date_created)` … `second(…)` on date/time fields, and
/// `count(comments)` on a one-to-many field (or a JSON/CSV field: not supported here → INVALID_QUERY).
struct FunctionField {
    enum Kind { case datePart(SQLDatePart), count(RelationSchema) }

    let kind: Kind
    let field: String

    /// Directus names the output of `year(date)` `date_year`.
    var outputName: String {
        switch kind {
        case .datePart(let part): "\(field)_\(part.rawValue)"
        case .count: "\(field)_count"
        }
    }

    /// Function results are integers.
    var resultField: FieldSchema { FieldSchema(name: outputName, type: .integer) }

    /// nil when `key` is not a function call.
    static func parse(_ key: String, collection: CollectionSchema, snapshot: SchemaSnapshot) throws(CMSError) -> FunctionField? {
        guard key.hasSuffix(")"), let open = key.firstIndex(of: "(") else { return nil }
        let name = String(key[..<open])
        let argument = String(key[key.index(after: open)..<key.index(before: key.endIndex)])
        guard let field = collection.field(argument) else { throw FilterCompiler.unknownField(argument, collection) }
        if name == "count" {
            guard let relation = snapshot.o2m(collection.name, argument) else {
                throw CMSError.invalidQuery("count() needs a one-to-many field, \"\(argument)\" is not one")
            }
            return FunctionField(kind: .count(relation), field: argument)
        }
        guard let part = SQLDatePart(rawValue: name) else { throw CMSError.invalidQuery("Unknown function \"\(name)\"") }
        guard field.type.isTemporal else { throw CMSError.invalidQuery("\(name)() needs a date or time field, \"\(argument)\" is not one") }
        // A time of day has no calendar: PostgreSQL refuses year(), month(), … of one.
        if field.type == .time, ![.hour, .minute, .second].contains(part) {
            throw CMSError.invalidQuery("\(name)() needs a date field, \"\(argument)\" is a time of day")
        }
        return FunctionField(kind: .datePart(part), field: argument)
    }

    func expression(alias: String, scope: inout SelectScope) throws(CMSError) -> SQLExpression {
        switch kind {
        case .datePart(let part):
            return .datePart(part, .column(table: alias, name: field))
        case .count(let relation):
            guard let child = scope.snapshot.collection(relation.collection), let parent = scope.snapshot.collection(relation.relatedCollection ?? "") else {
                throw CMSError.invalidQuery("Unknown relation")
            }
            var inner = scope.nested(child)
            inner.select.columns = [(.aggregate(.count, .star, distinct: false), "n")]
            let link = SQLExpression.compare(.column(table: inner.rootAlias, name: relation.field), .eq, .column(table: alias, name: parent.primaryKey))
            // Counts only the children the caller can read.
            inner.select.filter = try inner.restriction(alias: inner.rootAlias, child).map { .and([link, $0]) } ?? link
            return .subquery(inner.select)
        }
    }
}
