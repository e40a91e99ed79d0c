import Foundation
import CMS
import Hummingbird

extension Request {
    /// Query parameters, first value of each, form-decoded (`QueryString`).
    var queryParameters: [String: String] {
        var out: [String: String] = [:]
        for (key, value) in queryPairs where out[key] == nil { out[key] = value }
        return out
    }

    /// Query pairs in order, repeated keys included (bracket-form parameters need them all), names and values
    /// form-decoded as clients encode them (`+` is a space).
    var queryPairs: [(String, String)] { QueryString.pairs(uri.query) }

    /// The query language parameters of this request.
    func query(_ limits: QueryParser.Limits = QueryParser.Limits()) throws -> Query {
        try QueryParser.parse(pairs: queryPairs, limits: limits)
    }

    /// Keys for a batch delete: `["a","b"]` or `{"keys": [...]}`.
    func deleteKeys(limit: Int) async throws -> [String] {
        let payload = try await jsonBody(limit: limit)
        let list: JSONValue = payload["keys"] ?? payload
        guard case .array(let items) = list else { throw CMSError.invalidPayload("Body must be an array of keys or {\"keys\": [...]}") }
        return try items.map { item throws(CMSError) in
            guard let key = item.stringValue else { throw CMSError.invalidPayload("Keys must be strings") }
            return key
        }
    }
}

extension HTTPRequest.Method {
    /// Directus's `SEARCH`: a read whose query is in the body.
    static let search = HTTPRequest.Method("SEARCH")!
}

/// A `SEARCH` request's body, as Directus reads it: `query` replaces the URL's query, `keys` (when given) names the
/// items to read, and an empty body is `{}`.
struct SearchBody {
    var query: Query
    var keys: [String]?

    static func read(_ request: Request, limits: QueryParser.Limits, maxPayloadSize: Int) async throws -> SearchBody {
        let body = try await request.optionalJSONBody(limit: maxPayloadSize) ?? .object([])
        guard case .object = body else { throw CMSError.invalidPayload("The body must be an object") }
        let query = try QueryParser.parse(object: body["query"] ?? .object([]), limits: limits)
        guard case .array(let keys)? = body["keys"] else { return SearchBody(query: query) }
        return SearchBody(query: query, keys: keys.compactMap(CollectionStore.keyText))
    }
}

/// The read side of a system collection with routes of its own (`/files`, `/folders`, `/activity`, `/revisions`):
/// list with query + meta, and one item by key, through `ItemsService` and so under the caller's read rules.
struct CollectionReads {
    let items: ItemsService
    /// The system table, e.g. `directus_files`, or a user collection with `system` false.
    let collection: String
    var system = true

    func list(_ request: Request, _ context: DepotRequestContext) async throws -> Response {
        try await list(try request.query(items.limits), context)
    }

    /// `SEARCH`: the query in the body (`{"query": {…}}`) or the items of `{"keys": […]}`.
    func search(_ request: Request, _ context: DepotRequestContext, maxPayloadSize: Int) async throws -> Response {
        let search = try await SearchBody.read(request, limits: items.limits, maxPayloadSize: maxPayloadSize)
        if let keys = search.keys {
            return JSONResponse.data(.array(try await items.readMany(collection, keys: keys, query: search.query, accountability: context.accountability, system: system)))
        }
        return try await list(search.query, context)
    }

    func list(_ query: Query, _ context: DepotRequestContext) async throws -> Response {
        let (data, meta) = try await items.readMany(collection, query: query, accountability: context.accountability, system: system)
        return try ListResponse.make(collection, data: data, meta: meta, query: query)
    }

    /// One item; an unknown key is FORBIDDEN, as in Directus: existence is never revealed.
    func one(_ key: String, _ request: Request, _ context: DepotRequestContext) async throws -> Response {
        JSONResponse.data(try await items.readOne(collection, key: key, query: try request.query(items.limits), accountability: context.accountability, system: system))
    }

    func written(_ keys: [String], single: Bool, _ request: Request, _ context: DepotRequestContext) async throws -> Response {
        try await JSONResponse.written(single: single) {
            try await items.readMany(collection, keys: keys, query: try request.query(items.limits), accountability: context.accountability, system: system)
        }
    }
}

extension JSONResponse {
    /// Written items re-read for the answer; 204 when the caller may not read them, as Directus.
    static func written(single: Bool, _ read: () async throws -> [JSONValue]) async throws -> Response {
        let rows: [JSONValue]
        do {
            rows = try await read()
        } catch let error as CMSError where error.code == "FORBIDDEN" {
            return noContent
        }
        if single { return rows.first.map { data($0) } ?? noContent }
        return data(.array(rows))
    }
}
