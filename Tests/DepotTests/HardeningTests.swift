import CMS
import Foundation
import Testing

/// Hostile and faulty requests found by an independent probe: each must be a 4xx in Directus's envelope with the
/// server still answering — never a trap, a 5xx, or a permission bypass.
@Suite struct HardeningTests {
    /// Asserts a 400 with `code` and that the server still answers.
    static func expectRefused(_ depot: DepotProcess, _ path: String, method: String = "GET", json: JSONValue? = nil,
                              token: String? = nil, code: String = "INVALID_QUERY", status: Int = 400,
                              _ comment: Comment? = nil) async throws {
        let reply = try await depot.request(method, path, json: json, token: token)
        #expect(reply.status == status && reply.errorCode == code, "\(comment?.description ?? path): \(reply.status) \(reply.text.prefix(300))")
        #expect(try await depot.request("GET", "/server/ping").status == 200, "the server still answers after \(path.prefix(80))")
    }

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    }

    @Test(arguments: Dialect.allCases)
    func numbersFromRequestsNeverTrap(dialect: Dialect) async throws {
        guard let (depot, test, token) = try await ItemsRelationsTests.catalog(dialect) else { return }
        // No token needed for the first: the page is read before anything else.
        try await Self.expectRefused(depot, "/items/articles?page=9223372036854775807")
        for path in ["/files", "/users", "/roles", "/items/tags"] {
            try await Self.expectRefused(depot, path + "?page=9223372036854775807", token: token)
            try await Self.expectRefused(depot, path + "?offset=9223372036854775807&limit=10", token: token)
        }
        let deep = Self.encoded(#"{"comments":{"_limit":2,"_offset":9223372036854775807}}"#)
        try await Self.expectRefused(depot, "/items/articles?fields=*,comments.*&deep=\(deep)", token: token)
        let deepPage = Self.encoded(#"{"comments":{"_limit":1000000,"_page":9223372036854775807}}"#)
        try await Self.expectRefused(depot, "/items/articles?fields=*,comments.*&deep=\(deepPage)", token: token)
        // The largest window that is allowed still answers.
        let wide = try await depot.request("GET", "/items/articles?fields=*,comments.*&deep=\(Self.encoded(#"{"comments":{"_limit":2,"_offset":2000000000}}"#))", token: token)
        #expect(wide.status == 200, "\(wide.text)")
        // A relative date far out of any calendar: refused as a query, not a trap in the calendar's arithmetic.
        try await Self.expectRefused(depot, "/items/articles?filter=\(Self.encoded(#"{"title":{"_eq":"$NOW(+9223372036854775807 years)"}}"#))", token: token)
        #expect(await depot.stop() == 0)
        await test.drop()
    }

    @Test func transformArgumentsNeverTrap() async throws {
        guard let (depot, test) = try await HTTPTests.server(.sqlite) else { return }
        let token = try await depot.adminToken()
        let (body, headers) = FilesHTTPTests.multipart([], files: [("p.jpg", "image/jpeg", FilesHTTPTests.photo)])
        let upload = try await depot.request("POST", "/files", body: body, headers: headers, token: token)
        let id = try #require(upload.json["data"]?["id"]?.stringValue, "\(upload.text)")
        for transforms in [#"[["median",1e300]]"#, #"[["median",-1e300]]"#, #"[["median",2.5]]"#, #"[["rotate",1e300]]"#,
                           #"[["blur",1e308]]"#, #"[["extract",{"left":1e300,"top":0,"width":1,"height":1}]]"#,
                           #"[["flatten",{"background":"rgb(nan,inf,0)"}]]"#, #"[["resize",{"width":1e300}]]"#] {
            let reply = try await depot.request("GET", "/assets/\(id)?transforms=\(Self.encoded(transforms))", token: token)
            #expect((400..<500).contains(reply.status) || reply.status == 200, "\(transforms): \(reply.status) \(reply.text)")
            #expect(try await depot.request("GET", "/server/ping").status == 200, "alive after \(transforms)")
        }
        let median = try await depot.request("GET", "/assets/\(id)?transforms=\(Self.encoded(#"[["median",1e300]]"#))", token: token)
        #expect(median.status == 400 && median.text.contains("size must be a whole number between 1 and 25"), "\(median.text)")
        // A focal point far off the image is taken at its edge.
        let focal = try await depot.request("GET", "/assets/\(id)?width=50&height=50&fit=cover&focal_point_x=1e300&focal_point_y=1e300", token: token)
        #expect(focal.status == 200, "\(focal.text)")
        #expect(await depot.stop() == 0)
        await test.drop()
    }

    @Test(arguments: Dialect.allCases)
    func oversizedQueriesAreInvalidQueries(dialect: Dialect) async throws {
        guard let (depot, test, token) = try await ItemsRelationsTests.catalog(dialect) else { return }
        let long = String(repeating: "a", count: 50_000)
        try await Self.expectRefused(depot, "/items/articles", method: "SEARCH", json: .object([("query", .object([("search", .string(long))]))]), token: token)
        try await Self.expectRefused(depot, "/items/articles", method: "SEARCH",
                                     json: .object([("query", .object([("filter", .object([("title", .object([("_starts_with", .string(long))]))]))]))]), token: token)
        try await Self.expectRefused(depot, "/items/articles", method: "SEARCH",
                                     json: .object([("query", .object([("filter", .object([("title", .object([("_icontains", .string(long))]))]))]))]), token: token)
        func siblings(_ n: Int) -> JSONValue {
            .object([("query", .object([("filter", .object([("_and", .array((0..<n).map { .object([("rank", .object([("_neq", .int(Int64($0)))]))]) }))]))]))])
        }
        try await Self.expectRefused(depot, "/items/articles", method: "SEARCH", json: siblings(5_000), token: token)
        // Within the bound, a long list of conditions runs on both dialects (SQLite refuses expression trees over 1,000 deep).
        let many = try await depot.request("SEARCH", "/items/articles", json: siblings(500), token: token)
        #expect(many.status == 200, "\(many.text.prefix(300))")
        let nested = (0..<12).reduce(JSONValue.object([("rank", .object([("_eq", .int(1))]))])) { inner, _ in .object([("_and", .array([inner]))]) }
        try await Self.expectRefused(depot, "/items/articles", method: "SEARCH", json: .object([("query", .object([("filter", nested)]))]), token: token)
        let bracket = "filter" + String(repeating: "[_and][0]", count: 8) + "[rank][_eq]=1"
        try await Self.expectRefused(depot, "/items/articles?\(bracket)", token: token)
        let indices = (0..<600).map { "fields[\($0)]=title" }.joined(separator: "&")
        try await Self.expectRefused(depot, "/items/articles?\(indices)", token: token)
        let deepPath = Array(repeating: "comments", count: 12).joined(separator: ".")
        try await Self.expectRefused(depot, "/items/articles?fields=\(deepPath)", token: token)
        // Values in one list: too many is a query error, not an outage (PostgreSQL takes at most 65,535 per statement).
        let huge = JSONValue.array((0..<70_000).map { .int(Int64($0)) })
        try await Self.expectRefused(depot, "/items/articles", method: "SEARCH", json: .object([("query", .object([("filter", .object([("id", .object([("_in", huge)]))]))]))]), token: token)
        let fine = try await depot.request("SEARCH", "/items/articles",
                                           json: .object([("query", .object([("filter", .object([("id", .object([("_in", .array((0..<9_000).map { .int(Int64($0)) }))]))]))]))]), token: token)
        #expect(fine.status == 200, "\(fine.text.prefix(300))")
        #expect(await depot.stop() == 0)
        await test.drop()
    }

    @Test(arguments: Dialect.allCases)
    func jsonFieldsTakeOnlyNullChecks(dialect: Dialect) async throws {
        guard let (depot, test, token) = try await ItemsRelationsTests.catalog(dialect) else { return }
        try await depot.expectOK("POST", "/fields/articles", .object([("field", "data"), ("type", "json")]), token: token)
        try await depot.expectOK("POST", "/items/articles", .object([("title", "a"), ("data", .object([("k", .int(1))]))]), token: token)
        let eq = try await depot.request("GET", "/items/articles?filter[data][_eq]=1", token: token)
        #expect(eq.status == 400 && eq.errorCode == "INVALID_QUERY" && eq.text.contains(#"\"json\" field type does not contain the \"_eq\" filter operator"#), "\(eq.text)")
        for path in ["/items/articles?filter[data][_gt]=1", "/items/articles?filter[data][_in]=1,2", "/items/articles?sort=data",
                     "/items/articles?aggregate[max]=data", "/items/articles?aggregate[min]=data", "/items/articles?aggregate[countDistinct]=data",
                     "/items/articles?groupBy=data&aggregate[count]=*"] {
            try await Self.expectRefused(depot, path, token: token)
        }
        let present = try await depot.request("GET", "/items/articles?filter[data][_nnull]=true&fields=title", token: token)
        #expect(present.json["data"] == .array([.object([("title", "a")])]), "\(present.text)")
        let counted = try await depot.request("GET", "/items/articles?aggregate[count]=data", token: token)
        #expect(counted.status == 200, "\(counted.text)")
        #expect(await depot.stop() == 0)
        await test.drop()
    }

    @Test(arguments: Dialect.allCases)
    func impossibleDatesAreInvalidPayloads(dialect: Dialect) async throws {
        guard let (depot, test, token) = try await ItemsRelationsTests.catalog(dialect) else { return }
        for (name, type) in [("day", "date"), ("at", "timestamp"), ("local", "dateTime"), ("clock", "time")] {
            try await depot.expectOK("POST", "/fields/articles", .object([("field", .string(name)), ("type", .string(type))]), token: token)
        }
        for (field, value) in [("day", "2024-02-30"), ("at", "2024-02-30T10:00:00Z"), ("local", "2023-02-29T10:00:00"), ("day", "2024-13-01"), ("at", "2024-04-31T00:00:00+02:00")] {
            try await Self.expectRefused(depot, "/items/articles", method: "POST", json: .object([("title", "x"), (field, .string(value))]),
                                         token: token, code: "INVALID_PAYLOAD", "\(field)=\(value)")
        }
        try await depot.expectOK("POST", "/items/articles", .object([("title", "leap"), ("day", "2024-02-29"), ("at", "2024-02-29T23:59:59Z")]), token: token)
        let stored = try await depot.request("GET", "/items/articles?filter[title][_eq]=leap&fields=day", token: token)
        #expect(stored.json["data"] == .array([.object([("day", "2024-02-29")])]), "\(stored.text)")
        try await Self.expectRefused(depot, "/items/articles?filter[day][_eq]=2024-02-30", token: token)
        // A time of day has no year (PostgreSQL refused it with a 500).
        try await Self.expectRefused(depot, "/items/articles?filter[year(clock)][_eq]=2024", token: token)
        try await Self.expectRefused(depot, "/items/articles?groupBy[]=month(clock)&aggregate[count]=*", token: token)
        let hours = try await depot.request("GET", "/items/articles?filter[hour(clock)][_eq]=3", token: token)
        #expect(hours.status == 200, "\(hours.text)")
        #expect(await depot.stop() == 0)
        await test.drop()
    }

    @Test(arguments: Dialect.allCases)
    func framingErrorsAndHangUpsAreTheClients(dialect: Dialect) async throws {
        guard let (depot, test) = try await HTTPTests.server(dialect) else { return }
        let token = try await depot.adminToken()
        let fd = try #require(RawHTTPExchange.send(port: depot.port, "POST /items/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"))
        let answer = await RawHTTPExchange.receive(fd)
        #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
        #expect(answer.lowercased().contains("connection: close"), "\(answer)")

        // A client that hangs up inside its body: logged as its doing (499), never as an error of ours.
        let hangUp = try #require(RawHTTPExchange.send(port: depot.port, "POST /items/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"a\":"))
        close(hangUp)
        let deadline = Date().addingTimeInterval(20)
        while !depot.stderr.contains("POST /items/articles 499"), Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(depot.stderr.contains("POST /items/articles 499"), "\(depot.stderr.suffix(600))")
        #expect(!depot.stderr.contains("status=500"), "\(depot.stderr.suffix(600))")

        let (body, headers) = FilesHTTPTests.multipart([("storage", "nowhere")], files: [("p.jpg", "image/jpeg", FilesHTTPTests.photo)])
        let nowhere = try await depot.request("POST", "/files", body: body, headers: headers, token: token)
        #expect(nowhere.status == 400 && nowhere.errorCode == "INVALID_PAYLOAD", "\(nowhere.text)")
        let (escape, escapeHeaders) = FilesHTTPTests.multipart([("storage", "../..")], files: [("p.jpg", "image/jpeg", FilesHTTPTests.photo)])
        #expect(try await depot.request("POST", "/files", body: escape, headers: escapeHeaders, token: token).status == 400)
        #expect(await depot.stop() == 0)
        await test.drop()
    }

    @Test func formFieldsAreBounded() async throws {
        guard let (depot, test) = try await HTTPTests.server(.sqlite, ["MAX_PAYLOAD_SIZE": "64kb"]) else { return }
        let token = try await depot.adminToken()
        let many = (0..<150).map { ("title\($0)", "x") }
        let (body, headers) = FilesHTTPTests.multipart(many, files: [("p.jpg", "image/jpeg", FilesHTTPTests.photo)])
        let counted = try await depot.request("POST", "/files", body: body, headers: headers, token: token)
        #expect(counted.status == 400 && counted.errorCode == "INVALID_PAYLOAD", "\(counted.text)")
        let big = (0..<3).map { ("description", String(repeating: "y", count: 30_000) + "\($0)") }
        let (large, largeHeaders) = FilesHTTPTests.multipart(big, files: [("p.jpg", "image/jpeg", FilesHTTPTests.photo)])
        let sized = try await depot.request("POST", "/files", body: large, headers: largeHeaders, token: token)
        #expect(sized.status == 413 && sized.errorCode == "CONTENT_TOO_LARGE", "\(sized.text)")
        // A part header that never ends is refused before it fills memory.
        let boundary = "b0undary"
        var endless = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"title\"; x=\"".utf8)
        endless.append(Data(repeating: UInt8(ascii: "a"), count: 512 * 1024))
        endless.append(Data("\"\r\n\r\nv\r\n--\(boundary)--\r\n".utf8))
        let header = try await depot.request("POST", "/files", body: endless, headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"], token: token)
        #expect(header.status == 400, "\(header.text)")
        let listed = try await depot.request("GET", "/files?aggregate[count]=*", token: token)
        #expect(listed.json["data"]?.arrayItems?.first?["count"] == "0", "nothing half-written: \(listed.text)")
        #expect(await depot.stop() == 0)
        await test.drop()
    }

    @Test func transformsReserveTheirMemory() async throws {
        guard let (depot, test) = try await HTTPTests.server(.sqlite, ["ASSETS_TRANSFORM_MAX_MEMORY": "2mb"]) else { return }
        let token = try await depot.adminToken()
        let (body, headers) = FilesHTTPTests.multipart([], files: [("p.jpg", "image/jpeg", FilesHTTPTests.photo)])
        let id = try #require(try await depot.request("POST", "/files", body: body, headers: headers, token: token).json["data"]?["id"]?.stringValue)
        // The fixture is 400×225: a WebP of it needs ~0.9 MB by the estimate, a 1,500×844 one ~9 MB.
        let small = try await depot.request("GET", "/assets/\(id)?format=webp", token: token)
        #expect(small.status == 200, "\(small.text)")
        let large = try await depot.request("GET", "/assets/\(id)?width=1500&format=webp", token: token)
        #expect(large.status == 400 && large.text.contains("of memory"), "\(large.text)")
        #expect(await depot.stop() == 0)
        await test.drop()
    }
}
