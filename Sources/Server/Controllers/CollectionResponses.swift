import Foundation
import CMS
import Hummingbird

extension Request {
    /// Query parameters, first value of each.
    var queryParameters: [String: String] {
        var out: [String: String] = [:]
        for (key, value) in uri.queryParameters where out[String(key)] == nil { out[String(key)] = String(value) }
        return out
    }

    /// Query pairs in order, repeated keys included (bracket-form parameters need them all). Hummingbird decodes
    /// values only; keys such as `filter%5Bstatus%5D` are decoded here.
    var queryPairs: [(String, String)] {
        uri.queryParameters.map { (String($0.key).removingPercentEncoding ?? String($0.key), String($0.value)) }
    }

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

/// The read side shared by collection routes: list with query + meta, and one item by key, under the caller's
/// read rules.
struct CollectionReads {
    let store: CollectionStore
    let readAccess: @Sendable (Accountability) async throws -> ActionAccess?

    func list(_ request: Request, _ context: DepotRequestContext) async throws -> Response {
        try await list(try request.query(), context)
    }

    /// `SEARCH`: the query in the body (`{"query": {…}}`).
    func search(_ body: JSONValue, _ context: DepotRequestContext) async throws -> Response {
        try await list(try QueryParser.parse(object: body["query"] ?? .object([])), context)
    }

    private func list(_ query: Query, _ context: DepotRequestContext) async throws -> Response {
        let (data, meta) = try await store.readMany(query, accountability: context.accountability, access: try await readAccess(context.accountability))
        return try ListResponse.make(store.schema.name, data: data, meta: meta, query: query)
    }

    func one(_ key: String, _ request: Request, _ context: DepotRequestContext) async throws -> Response {
        JSONResponse.data(try await item(key, request, context))
    }

    func item(_ key: String, _ request: Request, _ context: DepotRequestContext) async throws -> JSONValue {
        // An unknown key is FORBIDDEN, as in Directus: existence is never revealed.
        guard let item = try await store.readOne(key, query: try request.query(), accountability: context.accountability,
                                                 access: try await readAccess(context.accountability)) else { throw CMSError.forbidden }
        return item
    }

    /// Written items re-read for the answer; 204 when the caller may not read them, as Directus.
    func written(_ keys: [String], single: Bool, _ request: Request, _ context: DepotRequestContext) async throws -> Response {
        var rows: [JSONValue] = []
        do {
            for key in keys { if let row = try await store.readOne(key, query: try request.query(), accountability: context.accountability,
                                                                   access: try await readAccess(context.accountability)) { rows.append(row) } }
        } catch let error as CMSError where error.code == "FORBIDDEN" {
            return JSONResponse.noContent
        }
        if single { return rows.first.map { JSONResponse.data($0) } ?? JSONResponse.noContent }
        return JSONResponse.data(.array(rows))
    }
}
