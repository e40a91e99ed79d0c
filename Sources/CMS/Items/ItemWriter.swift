import Database
import Foundation

/// Writes items of user collections inside one transaction: special fields, nested relational payloads
/// (many-to-one objects, one-to-many arrays or `{create, update, delete}`), and activity with revisions.
struct ItemWriter {
    let snapshot: SchemaSnapshot
    let connection: any DatabaseConnection
    let accountability: Accountability
    let hash: (String) throws -> String
    /// The caller's rules (`ItemWriter+Access`); unrestricted for administrators and the server's own writes.
    var access: CallerAccess = .unrestricted
    var recorder: ActivityRecorder { ActivityRecorder(accountability: accountability) }

    /// Inserts one item (and its nested items); returns its primary key as text.
    func create(_ collection: CollectionSchema, _ payload: JSONValue) throws -> String {
        guard case .object(let given, let givenKeys) = payload else { throw CMSError.invalidPayload("An item must be an object") }
        let rules = try access.rules("create", on: collection.name)
        try rules?.check(fields: givenKeys, of: collection.name)
        let (object, keys) = withPresets(rules, given, givenKeys)
        var values = try columnValues(collection, object, keys, creating: true)
        let primary = collection.field(collection.primaryKey)
        if !values.contains(where: { $0.0 == collection.primaryKey }), let primary, primary.type == .uuid {
            values.append((primary.name, .text(UUID().uuidString.lowercased())))
        }
        let d = connection.dialect
        let sql = values.isEmpty
            ? "INSERT INTO \(d.quote(collection.name)) DEFAULT VALUES RETURNING \(d.quote(collection.primaryKey))"
            : "INSERT INTO \(d.quote(collection.name)) (\(values.map { d.quote($0.0) }.joined(separator: ", "))) VALUES (\(values.map { _ in "?" }.joined(separator: ", "))) RETURNING \(d.quote(collection.primaryKey))"
        let rows = try CMSError.mappingConstraints(of: collection.name, writing: values, on: connection) {
            try connection.query(sql, values.map(\.1), writing: collection.name)
        }
        guard let key = rows.first?[collection.primaryKey].string else { throw CMSError.invalidPayload("The item has no primary key") }
        try writeChildren(collection, key: key, object, keys)
        try validate(rules, collection, key)
        try recorder.record(.create, collection: collection.name, item: key, data: try current(collection, key), delta: payload, on: connection)
        return key
    }

    /// Updates one item; FORBIDDEN when it does not exist.
    func update(_ collection: CollectionSchema, key: String, _ payload: JSONValue) throws {
        guard case .object(let object, let keys) = payload else { throw CMSError.invalidPayload("An item must be an object") }
        let rules = try access.rules("update", on: collection.name)
        try rules?.check(fields: keys, of: collection.name)
        try checkReach(rules, collection, key)
        let values = try columnValues(collection, object, keys, creating: false).filter { $0.0 != collection.primaryKey }
        let d = connection.dialect
        let keyValue = try keyBind(collection, key)
        let changed: Int
        if values.isEmpty {
            changed = try exists(collection, key) ? 1 : 0
        } else {
            let sql = "UPDATE \(d.quote(collection.name)) SET \(values.map { "\(d.quote($0.0)) = ?" }.joined(separator: ", ")) WHERE \(d.quote(collection.primaryKey)) = ?"
            changed = try CMSError.mappingConstraints(of: collection.name, writing: values, on: connection) {
                try connection.execute(sql, values.map(\.1) + [keyValue], writing: collection.name)
            }
        }
        guard changed > 0 else { throw CMSError.forbidden }
        try writeChildren(collection, key: key, object, keys)
        try validate(rules, collection, key)
        try recorder.record(.update, collection: collection.name, item: key, data: try current(collection, key), delta: payload, on: connection)
    }

    func delete(_ collection: CollectionSchema, keys: [String]) throws {
        let d = connection.dialect
        let rules = try access.rules("delete", on: collection.name)
        for key in keys {
            try checkReach(rules, collection, key)
            try SystemReferences.release(collection.name, key: try keyBind(collection, key), on: connection)
            let removed = try CMSError.mappingConstraints(of: collection.name) {
                try connection.execute("DELETE FROM \(d.quote(collection.name)) WHERE \(d.quote(collection.primaryKey)) = ?", [try keyBind(collection, key)],
                                       writing: collection.name)
            }
            guard removed > 0 else { throw CMSError.forbidden }
            try recorder.record(.delete, collection: collection.name, item: key, data: nil, delta: nil, on: connection)
        }
    }

    /// Column values of a payload: nested many-to-one objects are written first and replaced by their key;
    /// special fields are applied; one-to-many fields are left for `writeChildren`.
    private func columnValues(_ collection: CollectionSchema, _ object: [String: JSONValue], _ keys: [String],
                              creating: Bool) throws -> [(String, DatabaseValue)] {
        var values: [(String, DatabaseValue)] = []
        for key in keys {
            guard let field = collection.field(key) else {
                throw CMSError.invalidPayload("Field \"\(key)\" does not exist in collection \"\(collection.name)\"")
            }
            if snapshot.o2m(collection.name, key) != nil || !field.hasColumn { continue }
            var value = object[key]!
            if case .object = value, let relation = snapshot.m2o(collection.name, key),
               let related = relation.relatedCollection.flatMap(snapshot.collection) {
                value = .string(try upsert(related, value))
            }
            let secret = field.type == .hash || field.has("hash") || (collection.name == "directus_users" && key == "token")
            // An empty secret is no secret: null removes one.
            if secret, value.stringValue == "" { throw CMSError.invalidPayload("\"\(key)\" can't be empty (use null to remove it)") }
            if field.type == .hash || field.has("hash"), let text = value.stringValue, !PasswordHasher.isHash(text) { value = .string(try hash(text)) }
            let bound = try FieldValues.database(value, field)
            if let limit = field.maxLength, [.string, .hash].contains(field.type), let text = bound.string, text.count > limit {
                throw CMSError(code: "VALUE_TOO_LONG", status: 400, message: "Value for field \"\(key)\" in collection \"\(collection.name)\" is too long.",
                               extensions: ["collection": collection.name, "field": key])
            }
            values.append((key, bound))
        }
        let now = ISO8601.string(from: Date())
        for field in collection.columns {
            if creating, field.has("uuid"), !keys.contains(field.name) { values.append((field.name, .text(UUID().uuidString.lowercased()))) }
            // Who and when are the server's to say, as in Directus: a value the payload gives is replaced.
            var stamp: DatabaseValue?
            if field.has(creating ? "user-created" : "user-updated") { stamp = .optional(accountability.user) }
            else if field.has(creating ? "date-created" : "date-updated") { stamp = try FieldValues.database(.string(now), field) }
            if let stamp {
                values.removeAll { $0.0 == field.name }
                values.append((field.name, stamp))
            }
        }
        return values
    }

    /// A nested many-to-one object: updated when it carries an existing key, created otherwise.
    private func upsert(_ related: CollectionSchema, _ value: JSONValue) throws -> String {
        if let key = value[related.primaryKey].flatMap(CollectionStore.keyText), try exists(related, key) {
            try update(related, key: key, value)
            return key
        }
        return try create(related, value)
    }

    /// One-to-many payloads: an array sets the children (others are detached or deleted per the relation),
    /// `{create, update, delete}` changes only those.
    private func writeChildren(_ collection: CollectionSchema, key: String, _ object: [String: JSONValue], _ keys: [String]) throws {
        for name in keys {
            guard let relation = snapshot.o2m(collection.name, name), let child = snapshot.collection(relation.collection) else { continue }
            let parent = JSONValue.string(key)
            func attach(_ item: JSONValue) throws -> String {
                if let childKey = CollectionStore.keyText(item) {
                    try update(child, key: childKey, .object([(relation.field, parent)]))
                    return childKey
                }
                guard case .object(var dict, var itemKeys) = item else { throw CMSError.invalidPayload("\"\(name)\" items must be objects or keys") }
                if dict[relation.field] == nil { itemKeys.append(relation.field) }
                dict[relation.field] = parent
                let linked = JSONValue.object(dict, keys: itemKeys)
                if let childKey = dict[child.primaryKey].flatMap(CollectionStore.keyText), try exists(child, childKey) {
                    try update(child, key: childKey, linked)
                    return childKey
                }
                return try create(child, linked)
            }
            switch object[name]! {
            case .array(let items):
                var kept: [String] = []
                for item in items { kept.append(try attach(item)) }
                try detach(child, relation, try childKeys(child, relation, parent: collection, key).filter { !kept.contains($0) })
            case .object(let changes, _):
                if case .array(let created)? = changes["create"] { for item in created { _ = try attach(item) } }
                if case .array(let updated)? = changes["update"] { for item in updated { _ = try attach(item) } }
                if case .array(let deleted)? = changes["delete"] { try detach(child, relation, deleted.compactMap(CollectionStore.keyText)) }
            case .null: try detach(child, relation, try childKeys(child, relation, parent: collection, key))
            default: throw CMSError.invalidPayload("\"\(name)\" must be an array or {create, update, delete}")
            }
        }
    }

    /// The keys of the children that point at the parent `key`.
    private func childKeys(_ child: CollectionSchema, _ relation: RelationSchema, parent: CollectionSchema, _ key: String) throws -> [String] {
        let d = connection.dialect
        let sql = "SELECT \(d.quote(child.primaryKey)) AS k FROM \(d.quote(child.name)) WHERE \(d.quote(relation.field)) = ?"
        return try connection.query(sql, [try keyBind(parent, key)]).compactMap { $0["k"].string }
    }

    /// Children leaving a parent: deleted when the relation says so, else their foreign key is cleared.
    private func detach(_ child: CollectionSchema, _ relation: RelationSchema, _ keys: [String]) throws {
        guard !keys.isEmpty else { return }
        if relation.oneDeselectAction == "delete" { return try delete(child, keys: keys) }
        for key in keys { try update(child, key: key, .object([(relation.field, .null)])) }
    }

    private func exists(_ collection: CollectionSchema, _ key: String) throws -> Bool {
        let d = connection.dialect
        guard let bound = try? keyBind(collection, key) else { return false }
        return try !connection.query("SELECT 1 FROM \(d.quote(collection.name)) WHERE \(d.quote(collection.primaryKey)) = ?", [bound]).isEmpty
    }

    /// The item as stored, for its revision.
    private func current(_ collection: CollectionSchema, _ key: String) throws -> JSONValue? {
        var query = Query()
        query.filter = .object([(collection.primaryKey, .object([("_eq", .string(key))]))])
        query.limit = 1
        let plan = try QueryCompiler(snapshot: snapshot, childLimit: nil).compile(query, collection: collection)
        return try QueryRunner(connection: connection).items(plan).first
    }

    /// A key of the wrong shape (text for an integer key, not a UUID for a uuid key) matches nothing: FORBIDDEN.
    private func keyBind(_ collection: CollectionSchema, _ key: String) throws -> DatabaseValue {
        guard let field = collection.field(collection.primaryKey), let value = try? FieldValues.database(.string(key), field) else {
            throw CMSError.forbidden
        }
        return value
    }

}
