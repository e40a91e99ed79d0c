import Database

/// request `Query` → validated `ReadPlan` (SQL AST + how to decode rows). Every identifier is looked up in the
/// schema snapshot; anything unknown is INVALID_QUERY. With `access`, the caller's read rules apply everywhere the
/// query reaches (see `SelectScope`).
struct QueryCompiler {
    let snapshot: SchemaSnapshot
    /// Per-parent limit of one-to-many children when `deep` gives none.
    var childLimit: Int? = 100
    /// The caller's read rules; nil = unrestricted.
    var access: ActionAccess? = nil
    /// A filter the rows must also match, compiled without field checks (an action's item filter, the keys asked for).
    var within: JSONValue? = nil
    /// Also select each row's primary key, unchecked, as `ReadPlan.keyColumn`: the server's own bookkeeping
    /// (keys of a batch, rows matched to the keys asked for), never part of the answer.
    var keyed = false
    let aliases = AliasAllocator()

    func compile(_ query: Query, collection: CollectionSchema) throws(CMSError) -> ReadPlan {
        var scope = SelectScope(collection: collection, snapshot: snapshot, aliases: aliases, access: access)
        let root = scope.rootAlias
        var conditions: [SQLExpression] = []
        if let restriction = try scope.restriction(alias: root, collection) { conditions.append(restriction) }
        if let within { conditions.append(try scope.compilePrivileged(within, alias: root, collection)) }
        if let filter = query.filter { conditions.append(try FilterCompiler.compile(filter, alias: root, collection: collection, scope: &scope)) }
        if let search = query.search, !search.isEmpty { conditions.append(Self.search(search, alias: root, collection: collection, scope: scope)) }
        scope.select.filter = conditions.isEmpty ? nil : .and(conditions)

        var plan: ReadPlan
        let aggregating = !query.aggregate.isEmpty || !query.groupBy.isEmpty
        if aggregating {
            let outputs = try AggregateCompiler.apply(query, collection: collection, scope: &scope)
            plan = ReadPlan(select: scope.select, outputs: [], aggregate: outputs)
        } else {
            let tree = try FieldTree.parse(query.fields ?? ["*"])
            let outputs = try self.outputs(tree, collection: collection, alias: root, scope: &scope, deep: query.deep, aliases: query.alias)
            var keyColumn: String?
            if keyed {
                keyColumn = aliases.column()
                scope.select.columns.append((.column(table: root, name: collection.primaryKey), keyColumn!))
            }
            plan = ReadPlan(select: scope.select, outputs: outputs)
            plan.keyColumn = keyColumn
        }
        var fallback: [String] = []
        if let field = collection.sortField ?? (aggregating ? nil : collection.primaryKey) {
            // A group's order can't fall back to another field: it would not be grouped.
            fallback = aggregating ? (scope.canRead(field, of: collection) ? [field] : []) : scope.allowedSort(field, of: collection)
        }
        plan.select.orderBy = try order(query.sort, default: fallback, collection: collection, scope: &scope)
        plan.select.joins = scope.select.joins
        plan.select.limit = query.limit
        plan.select.offset = query.offset

        if query.meta.contains("total_count") {
            // Everything the caller can see, whatever the filter.
            var count = scope.nested(collection)
            count.select.filter = try count.restriction(alias: count.rootAlias, collection)
            count.select.columns = [(.aggregate(.count, .star, distinct: false), "count")]
            plan.totalCount = count.select
        }
        if query.meta.contains("filter_count") {
            var count = scope.select
            count.columns = [(.aggregate(.count, .star, distinct: false), "count")]
            count.groupBy = []
            plan.filterCount = count
        }
        return plan
    }

    /// The answer's keys for one level: columns, joined many-to-one rows, one-to-many children.
    func outputs(_ tree: FieldTree, collection: CollectionSchema, alias: String, scope: inout SelectScope,
                 deep: JSONValue?, aliases outputAliases: [String: String] = [:]) throws(CMSError) -> [OutputNode] {
        var requested: [(key: String, source: String, children: FieldTree?)] = []
        for entry in tree.entries {
            if entry.name == "*" {
                // `*` is the fields the caller may read; `*.*` expands the relations it may follow.
                for field in collection.fields where !tree.entries.contains(where: { $0.name == field.name }) && scope.canRead(field.name, of: collection) {
                    let m2o = snapshot.m2o(collection.name, field.name), o2m = snapshot.o2m(collection.name, field.name)
                    let related = (m2o?.relatedCollection ?? o2m?.collection).flatMap(snapshot.collection)
                    if o2m != nil, !(related.map(scope.canRead) ?? false) { continue }
                    // Children without sub-fields read as their keys: left out when those keys are hidden.
                    if o2m != nil, entry.children == nil, let related, !scope.canRead(related.primaryKey, of: related) { continue }
                    let expands = related.map(scope.canRead) ?? false
                    requested.append((field.name, field.name, expands ? entry.children : nil))
                }
            } else {
                requested.append((entry.name, outputAliases[entry.name] ?? entry.name, entry.children))
            }
        }
        var nodes: [OutputNode] = []
        for item in requested {
            if let function = try FunctionField.parse(item.source, collection: collection, snapshot: snapshot) {
                try scope.check(function.field, of: collection)
                let column = aliases.column()
                let value = try function.expression(alias: alias, scope: &scope)
                scope.select.columns.append((try scope.gated(value, function.field, alias: alias, collection), column))
                nodes.append(.value(key: item.key == item.source ? function.outputName : item.key, column: column, field: function.resultField))
                continue
            }
            guard let field = collection.field(item.source) else {
                // An unknown field and a forbidden one look alike to a caller under rules.
                if scope.access != nil { throw CMSError.forbiddenField(item.source, collection.name) }
                throw FilterCompiler.unknownField(item.source, collection)
            }
            try scope.check(field.name, of: collection)
            let deepHere = deep?[item.key]
            if let relation = snapshot.o2m(collection.name, field.name) {
                let parentKey = aliases.column()
                let key = try scope.gated(.column(table: alias, name: collection.primaryKey), field.name, alias: alias, collection)
                scope.select.columns.append((key, parentKey))
                nodes.append(.children(key: item.key, parentKey: parentKey, plan: try child(relation, item.children, deep: deepHere, parent: scope)))
            } else if let relation = snapshot.m2o(collection.name, field.name), let children = item.children {
                let (target, related) = try scope.join(from: alias, relation)
                let presence = aliases.column()
                let key = try scope.gated(.column(table: target, name: related.primaryKey), field.name, alias: alias, collection)
                scope.select.columns.append((key, presence))
                let inner = try outputs(children, collection: related, alias: target, scope: &scope, deep: deepHere)
                nodes.append(.object(key: item.key, presence: presence, children: inner))
            } else if field.hasColumn {
                if item.children != nil { throw CMSError.invalidQuery("\"\(field.name)\" is not a relational field") }
                let column = aliases.column()
                scope.select.columns.append((try scope.gated(.column(table: alias, name: field.name), field.name, alias: alias, collection), column))
                nodes.append(.value(key: item.key, column: column, field: field))
            }
            // Alias fields without a relation (presentation, groups) hold no data.
        }
        return nodes
    }

    /// The one-to-many follow-up for `relation` with its `deep` parameters.
    private func child(_ relation: RelationSchema, _ tree: FieldTree?, deep: JSONValue?, parent: SelectScope) throws(CMSError) -> ChildPlan {
        guard let collection = snapshot.collection(relation.collection) else { throw CMSError.invalidQuery("Unknown relation") }
        var scope = parent.nested(collection)
        let root = scope.rootAlias
        let restriction = try scope.restriction(alias: root, collection)
        let outputs = try self.outputs(tree ?? FieldTree.of([collection.primaryKey]), collection: collection, alias: root, scope: &scope, deep: deep)
        let foreignKey = aliases.column()
        scope.select.columns.append((.column(table: root, name: relation.field), foreignKey))
        var keysOnly: String?
        if tree == nil, case .value(_, let column, _)? = outputs.first { keysOnly = column }

        let parameters = try DeepParameters(deep)
        var conditions: [SQLExpression] = restriction.map { [$0] } ?? []
        if let filter = parameters.filter { conditions.append(try FilterCompiler.compile(filter, alias: root, collection: collection, scope: &scope)) }
        if let search = parameters.search { conditions.append(Self.search(search, alias: root, collection: collection, scope: scope)) }
        scope.select.filter = conditions.isEmpty ? nil : .and(conditions)
        let defaultSort = scope.allowedSort(relation.sortField ?? collection.sortField ?? collection.primaryKey, of: collection)
        scope.select.orderBy = try order(parameters.sort, default: defaultSort, collection: collection, scope: &scope)
        scope.select.limit = parameters.limitGiven ? parameters.limit : childLimit
        scope.select.offset = parameters.offset
        scope.select.partition = .column(table: root, name: relation.field)
        return ChildPlan(relation: relation, select: scope.select, outputs: outputs, foreignKey: foreignKey, keysOnly: keysOnly)
    }

    func order(_ sort: [String]?, default fallback: [String], collection: CollectionSchema,
               scope: inout SelectScope) throws(CMSError) -> [SQLOrder] {
        var orders: [SQLOrder] = []
        for raw in sort ?? fallback {
            let descending = raw.hasPrefix("-")
            let path = descending ? String(raw.dropFirst()) : raw
            var parts = path.split(separator: ".").map(String.init)
            guard !parts.isEmpty, parts.count <= FilterCompiler.maxDepth else { throw CMSError.invalidQuery("\"\(raw)\" can't be sorted on") }
            var alias = scope.rootAlias, current = collection
            while parts.count > 1 {
                guard let relation = snapshot.m2o(current.name, parts[0]) else {
                    throw CMSError.invalidQuery("\"\(parts[0])\" is not a many-to-one field of \"\(current.name)\"")
                }
                try scope.check(parts[0], of: current)
                (alias, current) = try scope.join(from: alias, relation)
                parts.removeFirst()
            }
            if let function = try FunctionField.parse(parts[0], collection: current, snapshot: snapshot) {
                try scope.check(function.field, of: current)
                orders.append(SQLOrder(expression: try function.expression(alias: alias, scope: &scope), descending: descending))
                continue
            }
            guard let field = current.field(parts[0]), field.hasColumn else { throw FilterCompiler.unknownField(parts[0], current) }
            try scope.check(field.name, of: current)
            try AggregateCompiler.refuseJSON(field, "sorted on")
            orders.append(SQLOrder(expression: .column(table: alias, name: field.name), descending: descending))
        }
        return orders
    }

    /// Case-insensitive contains on text fields; equality on numbers and UUIDs when the term is one.
    /// Only fields the caller may read are searched: a match must not reveal a hidden value.
    static func search(_ term: String, alias: String, collection: CollectionSchema, scope: SelectScope) -> SQLExpression {
        var parts: [SQLExpression] = []
        for field in collection.columns where field.type.isSearchable && !field.has("conceal") && !field.has("hash")
            && field.meta?["searchable"]?.boolValue != false && scope.canRead(field.name, of: collection) {
            let column = SQLExpression.column(table: alias, name: field.name)
            switch field.type {
            case .string, .text:
                parts.append(.like(column, needle: term, match: .contains, insensitive: true, negated: false))
            case .integer, .bigInteger:
                if let number = Int64(term) { parts.append(.compare(column, .eq, .bind(.integer(number)))) }
            case .float, .decimal:
                if let number = Double(term) { parts.append(.compare(column, .eq, .bind(.double(number)))) }
            case .uuid:
                if let uuid = try? FieldValues.database(.string(term), field) { parts.append(.compare(column, .eq, .bind(uuid))) }
            default: break
            }
        }
        return .or(parts)
    }
}

/// `deep` parameters of one relation: `_filter`, `_sort`, `_limit`, `_offset`, `_page`, `_search`.
struct DeepParameters {
    var filter: JSONValue?
    var sort: [String]?
    var limit: Int?
    var limitGiven = false
    var offset = 0
    var search: String?

    init(_ deep: JSONValue?) throws(CMSError) {
        guard let deep, case .object(let object, let keys) = deep else { return }
        var page: Int?
        for key in keys where key.hasPrefix("_") {
            let value = object[key]!
            switch key {
            case "_filter": filter = try QueryParser.jsonParameter(value, "deep._filter")
            case "_sort": sort = try QueryParser.list(value, "deep._sort")
            case "_limit":
                guard let n = QueryParser.integer(value), (-1...QueryBounds.maxOffset).contains(n) else {
                    throw CMSError.invalidQuery("\"deep._limit\" must be a whole number from -1 to \(QueryBounds.maxOffset)")
                }
                limit = n == -1 ? nil : n
                limitGiven = true
            case "_offset":
                guard let n = QueryParser.integer(value), (0...QueryBounds.maxOffset).contains(n) else {
                    throw CMSError.invalidQuery("\"deep._offset\" must be a whole number from 0 to \(QueryBounds.maxOffset)")
                }
                offset = n
            case "_page":
                guard let n = QueryParser.integer(value), n >= 1 else { throw CMSError.invalidQuery("\"deep._page\" must be 1 or more") }
                page = n
            case "_search": search = QueryParser.scalarText(value)
            default: throw CMSError.invalidQuery("Unknown deep parameter \"\(key)\"")
            }
        }
        // After the loop: the page counts in `_limit` wherever it is written.
        if let page {
            offset = try QueryParser.offset(page: page, limit: limit ?? 100, "deep._page")
        }
    }
}
