/// `aggregate` and `groupBy`: the select becomes group keys plus aggregate columns, decoded into Directus's
/// shape (`{"status": "paid", "count": {"id": "30"}}`; `count=*` → `{"count": "42"}`).
enum AggregateCompiler {
    static let functions: Set<String> = ["count", "countDistinct", "countAll", "sum", "sumDistinct", "avg", "avgDistinct", "min", "max"]

    static func apply(_ query: Query, collection: CollectionSchema, scope: inout SelectScope) throws(CMSError) -> [AggregateOutput] {
        let root = scope.rootAlias
        var outputs: [AggregateOutput] = []
        scope.select.columns = []
        for name in query.groupBy {
            let column = scope.aliases.column()
            if let function = try FunctionField.parse(name, collection: collection, snapshot: scope.snapshot) {
                try scope.check(function.field, of: collection)
                let expression = try function.expression(alias: root, scope: &scope)
                scope.select.groupBy.append(expression)
                scope.select.columns.append((expression, column))
                outputs.append(AggregateOutput(column: column, function: nil, field: function.outputName, schema: function.resultField))
            } else {
                guard let field = collection.field(name), field.hasColumn else { throw FilterCompiler.unknownField(name, collection) }
                try scope.check(name, of: collection)
                try Self.refuseSecret(field)
                try Self.refuseJSON(field, "grouped by")
                scope.select.groupBy.append(.column(table: root, name: name))
                scope.select.columns.append((.column(table: root, name: name), column))
                outputs.append(AggregateOutput(column: column, function: nil, field: name, schema: field))
            }
        }
        for (function, fields) in query.aggregate.sorted(by: { $0.key < $1.key }) {
            guard Self.functions.contains(function) else { throw CMSError.invalidQuery("Unknown aggregate function \"\(function)\"") }
            if function == "countAll" {
                let column = scope.aliases.column()
                scope.select.columns.append((.aggregate(.count, .star, distinct: false), column))
                outputs.append(AggregateOutput(column: column, function: "countAll", field: "", schema: nil))
                continue
            }
            for name in fields {
                let column = scope.aliases.column()
                if name == "*" {
                    guard function == "count" else { throw CMSError.invalidQuery("\(function)(*) is not allowed") }
                    scope.select.columns.append((.aggregate(.count, .star, distinct: false), column))
                    outputs.append(AggregateOutput(column: column, function: "count", field: "*", schema: nil))
                    continue
                }
                guard let field = collection.field(name), field.hasColumn else { throw FilterCompiler.unknownField(name, collection) }
                try scope.check(name, of: collection)
                try Self.refuseSecret(field)
                // `count` only asks whether a value is there; every other function compares JSON documents.
                if function != "count" { try Self.refuseJSON(field, "aggregated with \(function)") }
                let target = SQLExpression.column(table: root, name: name)
                let distinct = function.hasSuffix("Distinct")
                let base = distinct ? String(function.dropLast("Distinct".count)) : function
                if ["sum", "avg"].contains(base), !field.type.isNumeric {
                    throw CMSError.invalidQuery("\(function) needs a numeric field, \"\(name)\" is not one")
                }
                let aggregate = SQLAggregate(rawValue: base.uppercased())!
                scope.select.columns.append((.aggregate(aggregate, target, distinct: distinct), column))
                outputs.append(AggregateOutput(column: column, function: function, field: name, schema: ["min", "max"].contains(base) ? field : nil))
            }
        }
        return outputs
    }

    /// A JSON document can't be compared (PostgreSQL's `json` has no equality), so not grouped, sorted or min/maxed.
    static func refuseJSON(_ field: FieldSchema, _ use: String) throws(CMSError) {
        if field.type == .json { throw CMSError.invalidQuery("\"json\" field \"\(field.name)\" can't be \(use)") }
    }

    /// A hashed or concealed value is never aggregated or grouped: `min(password)` would read the hash.
    private static func refuseSecret(_ field: FieldSchema) throws(CMSError) {
        if field.type == .hash || field.has("hash") || field.has("conceal") {
            throw CMSError.invalidQuery("Field \"\(field.name)\" can't be aggregated")
        }
    }
}
