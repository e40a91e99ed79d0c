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

/// The read side of a system collection with routes of its own (`/files`, `/folders`, `/activity`, `/revisions`):
/// list with query + meta, and one item by key, through `ItemsService` and so under the caller's read rules.
struct CollectionReads {
    let items: ItemsService
    /// The system table, e.g. `directus_files`.
    let collection: String

    func list(_ request: Request, _ context: DepotRequestContext) async throws -> Response {
        try await list(try request.query(items.limits), context)
    }

    /// `SEARCH`: the query in the body (`{"query": {…}}`).
    func search(_ body: JSONValue, _ context: DepotRequestContext) async throws -> Response {
        try await list(try QueryParser.parse(object: body["query"] ?? .object([])), context)
    }

    private func list(_ query: Query, _ context: DepotRequestContext) async throws -> Response {
        let (data, meta) = try await items.readMany(collection, query: query, accountability: context.accountability, system: true)
        return try ListResponse.make(collection, data: data, meta: meta, query: query)
    }

    /// One item; an unknown key is FORBIDDEN, as in Directus: existence is never revealed.
    func one(_ key: String, _ request: Request, _ context: DepotRequestContext) async throws -> Response {
        JSONResponse.data(try await items.readOne(collection, key: key, query: try request.query(items.limits), accountability: context.accountability, system: true))
    }

    func written(_ keys: [String], single: Bool, _ request: Request, _ context: DepotRequestContext) async throws -> Response {
        try await JSONResponse.written(single: single) {
            try await items.readMany(collection, keys: keys, query: try request.query(items.limits), accountability: context.accountability, system: true)
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
