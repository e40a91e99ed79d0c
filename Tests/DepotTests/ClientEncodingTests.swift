import CMS
import Foundation
import Testing

/// Requests as real clients encode them: HTML-form encoding (`+` for a space) as Python's `requests` and browsers'
/// `URLSearchParams` send it, `%20`, bracket names percent-encoded, JSON with whitespace between tokens — on every
/// kind of route and on both dialects. Also `SEARCH` as Directus routes it.
@Suite struct ClientEncodingTests {
    /// `application/x-www-form-urlencoded` as `URLSearchParams` and Python's `urlencode` write it: letters, digits and
    /// `*-._` as they are, a space as `+`, every other byte as `%XX`.
    static func form(_ pairs: [(String, String)]) -> String {
        func encode(_ text: String) -> String {
            var out = ""
            for byte in text.utf8 {
                let scalar = Unicode.Scalar(byte)
                if byte == 0x20 { out += "+" }
                else if byte < 0x80, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "*-._".unicodeScalars.contains(scalar) {
                    out.unicodeScalars.append(scalar)
                } else { out += String(format: "%%%02X", byte) }
            }
            return out
        }
        return pairs.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }

    static func animals(_ dialect: Dialect) async throws -> (DepotProcess, TestDatabase, String)? {
        guard let (depot, test) = try await HTTPTests.server(dialect) else { return nil }
        let token = try await depot.adminToken()
        try await depot.expectOK("POST", "/collections", .object([("collection", "animals"), ("fields", .array([
            .object([("field", "name"), ("type", "string")]),
            .object([("field", "status"), ("type", "string")]),
            .object([("field", "legs"), ("type", "integer")]),
        ]))]), token: token)
        try await depot.expectOK("POST", "/items/animals", .array([
            .object([("name", "Red panda"), ("status", "published"), ("legs", .int(4))]),
            .object([("name", "Giant panda"), ("status", "draft"), ("legs", .int(4))]),
            .object([("name", "C++ crab"), ("status", "published"), ("legs", .int(10))]),
        ]), token: token)
        return (depot, test, token)
    }

    @Test(arguments: Dialect.allCases)
    func formEncodedQueriesReadAsClientsMeanThem(dialect: Dialect) async throws {
        guard let (depot, test, token) = try await Self.animals(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        func names(_ query: String, path: String = "/items/animals") async throws -> [String] {
            let reply = try await depot.request("GET", path + "?" + query, token: token)
            #expect(reply.status == 200, "\(query): \(reply.text)")
            return reply.json["data"]?.arrayItems?.compactMap { $0["name"]?.stringValue } ?? []
        }
        // `requests.get(url, params={"filter": json.dumps({...})})`: json.dumps puts a space after `:` and `,`.
        #expect(try await names(Self.form([("filter", #"{"status": {"_eq": "published"}, "legs": {"_lt": 5}}"#), ("fields", "name")])) == ["Red panda"])
        #expect(try await names(Self.form([("search", "red panda"), ("fields", "name")])) == ["Red panda"])
        #expect(try await names("search=red%20panda&fields=name") == ["Red panda"])
        // A literal `+` is `%2B`.
        #expect(try await names(Self.form([("search", "C++"), ("fields", "name")])) == ["C++ crab"])
        // Bracket names percent-encoded, values with spaces.
        #expect(try await names(Self.form([("filter[name][_eq]", "Giant panda"), ("fields", "name")])) == ["Giant panda"])
        #expect(try await names(Self.form([("filter[name][_in]", "Giant panda,Red panda"), ("sort", "name"), ("fields", "name")])) == ["Giant panda", "Red panda"])
        // A repeated name is a list, as qs reads it (py-directus sends `sort` so when sort() is called twice).
        #expect(try await names("sort=status&sort=-legs&fields=name") == ["Giant panda", "C++ crab", "Red panda"])
        let twoFields = try await depot.request("GET", "/items/animals?fields=name&fields=legs&filter[legs][_eq]=10", token: token)
        #expect(twoFields.json["data"]?.sortedKeys == JSONValue.array([.object([("legs", .int(10)), ("name", "C++ crab")])]).sortedKeys, "\(twoFields.text)")
        // JSON with spaces and new lines between tokens, in every JSON parameter.
        let aggregate = try await depot.request("GET", "/items/animals?" + Self.form([("aggregate", "{ \"sum\": [ \"legs\" ] }"), ("groupBy", "status"), ("sort", "status")]), token: token)
        #expect(aggregate.status == 200, "\(aggregate.text)")
        #expect(aggregate.json["data"]?.arrayItems?.map { $0["sum"]?["legs"] ?? .null } == [.int(4), .int(14)] ||
                aggregate.json["data"]?.arrayItems?.map { $0["sum"]?["legs"] ?? .null } == ["4", "14"])
        let alias = try await depot.request("GET", "/items/animals?" + Self.form([("alias", "{ \"label\" : \"name\" }"), ("fields", "label"), ("filter", "{\n  \"legs\": { \"_eq\": 10 }\n}")]), token: token)
        #expect(alias.json["data"] == .array([.object([("label", "C++ crab")])]), "\(alias.text)")
        // The same on system collections' own routes.
        #expect(try await names(Self.form([("filter", #"{"name": {"_eq": "animals"}}"#)]), path: "/folders").isEmpty)
        let users = try await depot.request("GET", "/users?" + Self.form([("filter", #"{"email": {"_eq": "admin@example.com"}}"#), ("fields", "email")]), token: token)
        #expect(users.json["data"] == .array([.object([("email", "admin@example.com")])]), "\(users.text)")
        let activity = try await depot.request("GET", "/activity?" + Self.form([("filter", #"{"collection": {"_eq": "animals"}}"#), ("limit", "1")]), token: token)
        #expect(activity.status == 200 && activity.json["data"]?.arrayItems?.count == 1, "\(activity.text)")
    }

    @Test(arguments: Dialect.allCases)
    func searchIsRoutedAsDirectusRoutesIt(dialect: Dialect) async throws {
        guard let (depot, test, token) = try await Self.animals(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        func search(_ path: String, _ body: String?) async throws -> DepotProcess.Reply {
            try await depot.request("SEARCH", path, body: body.map { Data($0.utf8) },
                                    headers: body == nil ? [:] : ["Content-Type": "application/json"], token: token)
        }
        // The body's query replaces the URL's.
        let items = try await search("/items/animals?filter[legs][_eq]=10&fields=name", #"{"query": {"filter": {"status": {"_eq": "draft"}}, "fields": ["name"]}}"#)
        #expect(items.json["data"] == .array([.object([("name", "Giant panda")])]), "\(items.text)")
        // An empty body is `{}`; a `search` that is not a string is ignored.
        #expect((try await search("/items/animals", nil)).json["data"]?.arrayItems?.count == 3)
        #expect((try await search("/items/animals", #"{"query": {"search": 5}}"#)).json["data"]?.arrayItems?.count == 3)
        #expect((try await depot.request("GET", "/items/animals?search[x]=1", token: token)).json["data"]?.arrayItems?.count == 3)

        try await depot.expectOK("POST", "/folders", .object([("name", "Zoo")]), token: token)
        let folders = try await search("/folders", #"{"query": {"filter": {"name": {"_eq": "Zoo"}}, "fields": ["name"]}}"#)
        #expect(folders.status == 200 && folders.json["data"] == .array([.object([("name", "Zoo")])]), "\(folders.text)")
        let files = try await search("/files", #"{"query": {"limit": 1}}"#)
        #expect(files.status == 200 && files.json["data"] == .array([]), "\(files.text)")
        // /collections honours only `keys`.
        let collections = try await search("/collections", #"{"keys": ["animals"]}"#)
        #expect(collections.status == 200 && collections.json["data"]?.arrayItems?.map { $0["collection"] ?? .null } == ["animals"], "\(collections.text)")
        #expect(((try await search("/collections", nil)).json["data"]?.arrayItems?.count ?? 0) > 1)
        for path in ["/users", "/roles", "/policies", "/access", "/permissions", "/activity", "/revisions", "/flows", "/operations",
                     "/presets", "/translations", "/comments", "/notifications", "/shares", "/versions", "/dashboards", "/panels"] {
            let reply = try await search(path, #"{"query": {"limit": 1}}"#)
            #expect(reply.status == 200, "SEARCH \(path): \(reply.text)")
        }
        // Not routed by Directus either.
        for path in ["/fields", "/relations", "/settings"] {
            #expect((try await search(path, "{}")).status == 404, "SEARCH \(path)")
        }
    }
}
