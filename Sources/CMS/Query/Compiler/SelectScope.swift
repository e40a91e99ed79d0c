/// Table aliases of one compiled query tree: generated (`t0`, `t1`, …), never taken from the request.
final class AliasAllocator {
    private var tables = 0
    private var columns = 0
    func table() -> String { defer { tables += 1 }; return "t\(tables)" }
    func column() -> String { defer { columns += 1 }; return "c\(columns)" }
}

/// One SELECT being built: its many-to-one joins are shared by fields, filter and sort, one join per path.
/// With `access`, every collection it reaches is limited to the caller's read rules: fields checked, item
/// filters added to the WHERE of each table and to the ON of each join.
struct SelectScope {
    var select: SQLSelect
    let snapshot: SchemaSnapshot
    let aliases: AliasAllocator
    /// The caller's read rules; nil = unrestricted.
    let access: ActionAccess?
    /// Set while compiling a permission filter itself: it sees every field and row.
    private(set) var privileged = false
    private var joined: [String: String] = [:]

    init(collection: CollectionSchema, snapshot: SchemaSnapshot, aliases: AliasAllocator, access: ActionAccess? = nil) {
        self.select = SQLSelect(table: collection.name, alias: aliases.table())
        self.snapshot = snapshot
        self.aliases = aliases
        self.access = access
    }

    /// A subquery's scope: same aliases and rules.
    func nested(_ collection: CollectionSchema) -> SelectScope {
        var scope = SelectScope(collection: collection, snapshot: snapshot, aliases: aliases, access: access)
        scope.privileged = privileged
        return scope
    }

    var rootAlias: String { select.alias }

    /// The caller's read rules on `collection`: nil = unrestricted; FORBIDDEN when it has none.
    func rules(_ collection: CollectionSchema) throws(CMSError) -> CollectionAccess? {
        guard let access, !privileged else { return nil }
        guard let rules = access.collection(collection.name) else { throw CMSError.forbidden }
        return rules
    }

    /// Whether the caller may read `collection` (without throwing).
    func canRead(_ collection: CollectionSchema) -> Bool {
        guard let access, !privileged else { return true }
        return access.collection(collection.name) != nil
    }

    /// Whether `field` may be read (asked for, filtered or sorted on).
    func canRead(_ field: String, of collection: CollectionSchema) -> Bool {
        guard let access, !privileged else { return true }
        return access.collection(collection.name)?.allows(field) == true
    }

    /// The order of a read that gives none (Directus's allowed sort): `field` when the caller may read it, else the
    /// first field its rules allow that has a column, else none — a hidden field must not order the answer.
    func allowedSort(_ field: String, of collection: CollectionSchema) -> [String] {
        if canRead(field, of: collection) { return [field] }
        let allowed = access?.collection(collection.name)?.fields ?? []
        return allowed.first { collection.field($0)?.hasColumn == true }.map { [$0] } ?? []
    }

    /// FORBIDDEN unless `field` may be read, in Directus's words.
    func check(_ field: String, of collection: CollectionSchema) throws(CMSError) {
        guard canRead(field, of: collection) else { throw CMSError.forbiddenField(field, collection.name) }
    }

    /// The caller's item filter on `collection` at `alias`, compiled; nil = every row.
    mutating func restriction(alias: String, _ collection: CollectionSchema) throws(CMSError) -> SQLExpression? {
        guard let filter = try rules(collection)?.itemFilter else { return nil }
        return try compilePrivileged(filter, alias: alias, collection)
    }

    /// A join's restriction: on the joined alias itself when the filter needs no joins of its own; else an
    /// EXISTS on the related table, since an ON clause can't name tables joined after it.
    private func joinRestriction(_ filter: JSONValue, _ target: String, _ related: CollectionSchema) throws(CMSError) -> SQLExpression {
        var direct = nested(related)
        let expression = try direct.compilePrivileged(filter, alias: target, related)
        if direct.select.joins.isEmpty { return expression }
        var sub = nested(related)
        let body = try sub.compilePrivileged(filter, alias: sub.rootAlias, related)
        sub.select.filter = .and([.compare(.column(table: sub.rootAlias, name: related.primaryKey), .eq, .column(table: target, name: related.primaryKey)), body])
        return .exists(sub.select)
    }

    /// `column` where the field is visible, null elsewhere (a field only some of the caller's rules allow).
    mutating func gated(_ column: SQLExpression, _ field: String, alias: String, _ collection: CollectionSchema) throws(CMSError) -> SQLExpression {
        guard let condition = try rules(collection)?.fieldCondition(field) else { return column }
        return .caseWhen(try compilePrivileged(condition, alias: alias, collection), column)
    }

    /// `filter` compiled as the server's own condition: every field and row visible to it.
    mutating func compilePrivileged(_ filter: JSONValue, alias: String, _ collection: CollectionSchema) throws(CMSError) -> SQLExpression {
        let was = privileged
        privileged = true
        defer { privileged = was }
        return try FilterCompiler.compile(filter, alias: alias, collection: collection, scope: &self)
    }

    /// The alias of `relation`'s related table joined from `alias` (LEFT JOIN on its primary key). Under rules,
    /// rows of the related table the caller can't read join as null.
    mutating func join(from alias: String, _ relation: RelationSchema) throws(CMSError) -> (alias: String, collection: CollectionSchema) {
        guard let name = relation.relatedCollection, let related = snapshot.collection(name), related.hasTable else {
            throw CMSError.invalidQuery("Relation \"\(relation.field)\" has no related collection")
        }
        let key = "\(alias).\(relation.field)\(privileged ? "!" : "")"
        if let existing = joined[key] { return (existing, related) }
        let target = aliases.table()
        let link = SQLExpression.compare(.column(table: target, name: related.primaryKey), .eq, .column(table: alias, name: relation.field))
        select.joins.append(SQLJoin(table: related.name, alias: target, on: link))
        joined[key] = target
        let index = select.joins.count - 1
        if let filter = try rules(related)?.itemFilter {
            select.joins[index] = SQLJoin(table: related.name, alias: target, on: .and([link, try joinRestriction(filter, target, related)]))
        }
        return (target, related)
    }
}
