import CMS
import Foundation
import Testing

/// Directus's `/utils`: random strings, argon2 hashes, manual sort, revision revert, import and export — sent
/// as clients send them, on SQLite and PostgreSQL where the database matters.
@Suite struct UtilitiesHTTPTests {
    /// `articles` (sort field `sort`, a 20-character title that is required, views, a flag, tags, a date) with
    /// three items, on a server with small export batches.
    static func catalog(_ dialect: Dialect, _ extra: [String: String] = [:]) async throws -> (DepotProcess, TestDatabase, String)? {
        guard let (depot, test) = try await HTTPTests.server(dialect, ["EXPORT_BATCH_SIZE": "2"].merging(extra) { $1 }) else { return nil }
        let admin = try await depot.adminToken()
        try await depot.expectOK("POST", "/collections", .object([("collection", "articles"), ("meta", .object([("sort_field", "sort")])), ("fields", .array([
            .object([("field", "title"), ("type", "string"), ("schema", .object([("is_nullable", false), ("max_length", .int(20))]))]),
            .object([("field", "views"), ("type", "integer")]),
            .object([("field", "featured"), ("type", "boolean")]),
            .object([("field", "tags"), ("type", "json")]),
            .object([("field", "published_on"), ("type", "date")]),
            .object([("field", "sort"), ("type", "integer")]),
        ]))]), token: admin)
        try await depot.expectOK("POST", "/items/articles", .array([
            .object([("title", "First"), ("views", .int(1)), ("sort", .int(1))]),
            .object([("title", "Second"), ("views", .int(2)), ("sort", .int(2))]),
            .object([("title", "Third"), ("views", .int(3)), ("sort", .int(3))]),
        ]), token: admin)
        return (depot, test, admin)
    }

    static func titles(_ depot: DepotProcess, _ token: String, sort: String = "sort") async throws -> [String] {
        let reply = try await depot.request("GET", "/items/articles?fields=title&limit=-1&sort=\(sort)", token: token)
        return reply.json["data"]?.arrayItems?.compactMap { $0["title"]?.stringValue } ?? []
    }

    // MARK: random strings and hashes

    /// Hashes made by libargon2 with other variants and costs than Depot's (password "correct horse"); the
    /// last is node-argon2's default shape, which Directus writes.
    static let foreignHashes = [
        "$argon2i$v=19$m=4096,t=2,p=1$ZGVwb3QtdGVzdC1zYWx0IQ$h66sEKRaFtaW8VDUp8xJRMr52hLNY4LySK3o4n8wBTk",
        "$argon2d$v=19$m=2048,t=3,p=2$ZGVwb3QtdGVzdC1zYWx0IQ$wCsTVFk0cmJk8XJbiE7GlYHBz3DB6DdE",
        "$argon2id$v=19$m=8192,t=1,p=3$ZGVwb3QtdGVzdC1zYWx0IQ$mUI5nE/xTeFAz3Y2T4pqTg",
        "$argon2id$v=19$m=1024,t=4,p=1$ZGVwb3QtdGVzdC1zYWx0IQ$ndxyxvi8m1asZGQr5IJzREX4bF0y7NK6xgBGksUJw9qxxriwWLl+Eqpqd2pCkY4iKcXFYxTDuBhpGf5XvLIK9g",
        "$argon2i$v=16$m=4096,t=2,p=1$ZGVwb3QtdGVzdC1zYWx0IQ$P8kDow3Ks8peAtlv1gTfOqEL+bxb+4lHrmEKqdN5p4c",
        "$argon2id$v=19$m=65536,t=3,p=4$AQIDBAUGBwgJCgsMDQ4PEA$4vmHFy8vFe4M2/pxpktZhQgMx6SMBCdNKUH8oDYZxfM",
    ]

    @Test func randomStringsAndHashesAsDirectusMakesThem() async throws {
        guard let (depot, test) = try await HTTPTests.server(.sqlite) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        let alphabet = Set("useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict")
        let first = try await depot.request("GET", "/utils/random/string")
        let second = try await depot.request("GET", "/utils/random/string")
        let a = first.json["data"]?.stringValue ?? "", b = second.json["data"]?.stringValue ?? ""
        #expect(first.status == 200 && a.count == 32 && a.allSatisfy(alphabet.contains), "\(first.text)")
        #expect(a != b)
        #expect(try await depot.request("GET", "/utils/random/string?length=500").json["data"]?.stringValue?.count == 500)
        #expect(try await depot.request("GET", "/utils/random/string?length=1").json["data"]?.stringValue?.count == 1)
        for bad in ["0", "501", "abc", "1.5", "-3", ""] {
            let reply = try await depot.request("GET", "/utils/random/string?length=\(bad)")
            #expect(reply.status == 400 && reply.errorCode == "INVALID_QUERY", "length=\(bad): \(reply.text)")
        }

        let generated = try await depot.request("POST", "/utils/hash/generate", json: .object([("string", "correct horse")]))
        let hash = generated.json["data"]?.stringValue ?? ""
        #expect(generated.status == 200 && hash.hasPrefix("$argon2id$v=19$m=1024,t=1,p=1$"), "the server's HASH_* costs: \(generated.text)")
        func verify(_ string: String, _ hash: String) async throws -> DepotProcess.Reply {
            try await depot.request("POST", "/utils/hash/verify", json: .object([("string", .string(string)), ("hash", .string(hash))]))
        }
        #expect(try await verify("correct horse", hash).json["data"] == true)
        #expect(try await verify("wrong horse", hash).json["data"] == false)
        for foreign in Self.foreignHashes {
            #expect(try await verify("correct horse", foreign).json["data"] == true, "\(foreign)")
            #expect(try await verify("Correct horse", foreign).json["data"] == false, "\(foreign)")
        }
        let unparsable = ["not a hash", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA", "$2b$10$abcdefghijklmnopqrstuv", "$argon2id$v=19$m=x,t=3,p=4$c2FsdHNhbHQ$aGFzaA",
                          "$argon2id$v=19$m=4194304,t=3,p=4$AQIDBAUGBwgJCgsMDQ4PEA$4vmHFy8vFe4M2/pxpktZhQgMx6SMBCdNKUH8oDYZxfM"]
        for bad in unparsable {
            let reply = try await verify("correct horse", bad)
            #expect(reply.status == 400 && reply.errorCode == "INVALID_PAYLOAD", "\(bad): \(reply.text)")
        }
        for body: JSONValue in [.object([]), .object([("string", "")]), .object([("hash", .string(hash))])] {
            #expect(try await depot.request("POST", "/utils/hash/verify", json: body).errorCode == "INVALID_PAYLOAD")
        }
        #expect(try await depot.request("POST", "/utils/hash/generate", json: .object([("string", "")])).errorCode == "INVALID_PAYLOAD")
    }

    // MARK: sort and revert

    @Test(arguments: Dialect.allCases)
    func manualSortMovesAnItemAndShiftsTheOthers(dialect: Dialect) async throws {
        guard let (depot, test, admin) = try await Self.catalog(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        try await depot.expectOK("POST", "/items/articles", .array([.object([("title", "Fourth"), ("sort", .int(4))]), .object([("title", "Unsorted")])]), token: admin)
        func sort(_ item: JSONValue, _ to: JSONValue, token: String) async throws -> DepotProcess.Reply {
            try await depot.request("POST", "/utils/sort/articles", json: .object([("item", item), ("to", to)]), token: token)
        }
        let moved = try await sort(.int(4), .int(1), token: admin)
        #expect(moved.status == 200 && moved.body.isEmpty, "\(moved.text)")
        #expect(try await Self.titles(depot, admin) == ["Fourth", "First", "Second", "Third", "Unsorted"], "the unsorted row was numbered last")
        #expect(try await sort("1", "5", token: admin).status == 200, "keys as strings")
        #expect(try await Self.titles(depot, admin) == ["Fourth", "Second", "Third", "Unsorted", "First"])
        let sorts = try await depot.request("GET", "/items/articles?fields=sort&sort=sort", token: admin).json["data"]?.arrayItems?.compactMap { $0["sort"] }
        #expect(sorts == [.int(1), .int(2), .int(3), .int(4), .int(5)])

        #expect(try await sort(.int(99), .int(1), token: admin).status == 403, "an unknown item")
        let noField = try await depot.request("POST", "/utils/sort/directus_users", json: .object([("item", "x"), ("to", "y")]), token: admin)
        #expect(noField.status == 400 && noField.errorCode == "INVALID_PAYLOAD", "\(noField.text)")
        #expect(try await depot.request("POST", "/utils/sort/nothing", json: .object([("item", .int(1)), ("to", .int(2))]), token: admin).status == 403)
        #expect(try await depot.request("POST", "/utils/sort/articles", json: .object([("item", .int(1))]), token: admin).status == 400)

        // Update rights on the collection that include the sort field.
        let titleOnly = try await depot.caller("titler", rules: [TestRule(collection: "articles", action: "update", fields: ["title"])], admin: admin)
        #expect(try await sort(.int(1), .int(2), token: titleOnly.token).status == 403)
        let reader = try await depot.caller("reader", rules: [TestRule(collection: "articles", action: "read")], admin: admin)
        #expect(try await sort(.int(1), .int(2), token: reader.token).status == 403)
        let sorter = try await depot.caller("sorter", rules: [TestRule(collection: "articles", action: "update", fields: ["sort"])], admin: admin)
        #expect(try await sort(.int(1), .int(2), token: sorter.token).status == 200)
        #expect(try await Self.titles(depot, admin) == ["Fourth", "First", "Second", "Third", "Unsorted"])
    }

    @Test(arguments: Dialect.allCases)
    func revertWritesARevisionsDataBackWithTheCallersRights(dialect: Dialect) async throws {
        guard let (depot, test, admin) = try await Self.catalog(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        try await depot.expectOK("PATCH", "/items/articles/2", .object([("title", "Second (edited)"), ("views", .int(20))]), token: admin)
        try await depot.expectOK("PATCH", "/items/articles/2", .object([("title", "Second (again)")]), token: admin)
        let revisions = try await depot.request("GET", "/revisions?" + SystemCollectionsTests.query([
            ("filter", #"{"collection":{"_eq":"articles"},"item":{"_eq":"2"}}"#), ("sort", "id"), ("fields", "id,data"),
        ]), token: admin).json["data"]?.arrayItems ?? []
        #expect(revisions.count == 3, "\(revisions)")
        let created = try #require(revisions.first.flatMap { $0["id"] }.flatMap(CollectionStore.keyText))

        let reverted = try await depot.request("POST", "/utils/revert/\(created)", token: admin)
        #expect(reverted.status == 204, "\(reverted.text)")
        let item = try await depot.request("GET", "/items/articles/2?fields=title,views", token: admin)
        #expect(keyed(item.json["data"]) == keyed(JSONValue.object([("title", "Second"), ("views", .int(2))])), "\(item.text)")
        let count = try await depot.request("GET", "/revisions?" + SystemCollectionsTests.query([
            ("aggregate[count]", "*"), ("filter", #"{"collection":{"_eq":"articles"},"item":{"_eq":"2"}}"#),
        ]), token: admin)
        #expect(count.json["data"]?.arrayItems?.first?["count"] == "4", "the revert is itself an update with its revision: \(count.text)")

        // The caller must read the revision and update the item.
        let reader = try await depot.caller("reader", rules: [TestRule(collection: "directus_revisions", action: "read")], admin: admin)
        #expect(try await depot.request("POST", "/utils/revert/\(created)", token: reader.token).status == 403)
        let editor = try await depot.caller("editor", rules: [
            TestRule(collection: "directus_revisions", action: "read"), TestRule(collection: "articles", action: "update"),
        ], admin: admin)
        try await depot.expectOK("PATCH", "/items/articles/2", .object([("title", "Changed")]), token: admin)
        #expect(try await depot.request("POST", "/utils/revert/\(created)", token: editor.token).status == 204)
        #expect(try await depot.request("GET", "/items/articles/2?fields=title", token: admin).json["data"]?["title"] == "Second")
        #expect(try await depot.request("POST", "/utils/revert/999999", token: admin).status == 403)
    }

    // MARK: import

    /// `curl -F`, a real client's multipart body.
    static func curlImport(_ depot: DepotProcess, _ collection: String, file: String, type: String, token: String,
                           query: String = "") async throws -> (status: Int, body: String) {
        let output = try TempDirectory.make() + "/reply"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-o", output, "-w", "%{http_code}", "-H", "Authorization: Bearer \(token)",
                             "-F", "file=@\(file);type=\(type)", "http://127.0.0.1:\(depot.port)/utils/import/\(collection)\(query)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        await DepotProcess.waitForExit(process)
        let status = Int(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)) ?? 0
        return (status, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    static func write(_ text: String, named name: String) throws -> String {
        let path = try TempDirectory.make() + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: Dialect.allCases)
    func importUpsertsJSONAndTypedCSVRows(dialect: Dialect) async throws {
        guard let (depot, test, admin) = try await Self.catalog(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        // JSON through URLSession: row 1 names an existing key (updated), the others are new.
        let json = #"[{"id":1,"title":"First (imported)","views":10},{"title":"Fourth","tags":["a","b"],"featured":true},{"title":"Fifth","published_on":"2026-02-03"}]"#
        let (body, headers) = FilesHTTPTests.multipart([], files: [("articles.json", "application/json", Data(json.utf8))])
        let imported = try await depot.request("POST", "/utils/import/articles", body: body, headers: headers, token: admin)
        #expect(imported.status == 200 && imported.body.isEmpty, "\(imported.text)")
        let rows = try await depot.request("GET", "/items/articles?fields=id,title,views,tags,featured,published_on&sort=id", token: admin).json["data"]?.arrayItems ?? []
        try #require(rows.count == 5, "\(rows)")
        #expect(keyed(rows.first) == keyed(JSONValue.object([("id", .int(1)), ("title", "First (imported)"), ("views", .int(10)), ("tags", .null), ("featured", .null), ("published_on", .null)])))
        #expect(keyed(rows[3]["tags"]) == keyed(JSONValue.array(["a", "b"])) && rows[3]["featured"] == true && rows[4]["published_on"] == "2026-02-03")

        // CSV through curl: cells typed by their fields; an empty cell leaves the field alone, `null` clears it.
        let csv = """
            id,title,views,featured,tags,published_on
            2,Second (csv),22,false,,null
            ,Sixth,6,TRUE,"[""x""]",2026-05-06
            ,"Seventh, a comma",7,1,"{""k"":1}",

            """
        let imported2 = try await Self.curlImport(depot, "articles", file: try Self.write(csv, named: "articles.csv"), type: "text/csv", token: admin)
        #expect(imported2.status == 200, "\(imported2.body)")
        let second = try await depot.request("GET", "/items/articles/2?fields=title,views,featured,published_on", token: admin).json["data"]
        #expect(keyed(second) == keyed(JSONValue.object([("title", "Second (csv)"), ("views", .int(22)), ("featured", false), ("published_on", .null)])))
        let added = try await depot.request("GET", "/items/articles?fields=title,views,featured,tags,published_on&filter%5Bid%5D%5B_gt%5D=5&sort=id", token: admin).json["data"]
        #expect(keyed(added) == keyed(JSONValue.array([
            .object([("title", "Sixth"), ("views", .int(6)), ("featured", true), ("tags", .array(["x"])), ("published_on", "2026-05-06")]),
            .object([("title", "Seventh, a comma"), ("views", .int(7)), ("featured", true), ("tags", .object([("k", .int(1))])), ("published_on", .null)]),
        ])), "\(added ?? .null)")
        // Every row is a create or an update with its activity.
        let activity = try await depot.request("GET", "/activity?aggregate%5Bcount%5D=*&groupBy%5B%5D=action&filter%5Bcollection%5D%5B_eq%5D=articles&sort=action", token: admin)
        #expect(activity.json["data"]?.sortedKeys == JSONValue.array([.object([("action", "create"), ("count", "7")]), .object([("action", "update"), ("count", "2")])]).sortedKeys,
                "\(activity.text)")

        // What is not a JSON or CSV file part is refused.
        let (textBody, textHeaders) = FilesHTTPTests.multipart([], files: [("notes.txt", "text/plain", Data("hello".utf8))])
        let text = try await depot.request("POST", "/utils/import/articles", body: textBody, headers: textHeaders, token: admin)
        #expect(text.status == 415 && text.errorCode == "UNSUPPORTED_MEDIA_TYPE", "\(text.text)")
        let notMultipart = try await depot.request("POST", "/utils/import/articles", json: .array([.object([("title", "x")])]), token: admin)
        #expect(notMultipart.status == 415 && notMultipart.errorCode == "UNSUPPORTED_MEDIA_TYPE")
        let (noFile, noFileHeaders) = FilesHTTPTests.multipart([("title", "x")], files: [])
        #expect(try await depot.request("POST", "/utils/import/articles", body: noFile, headers: noFileHeaders, token: admin).errorCode == "INVALID_PAYLOAD")
        let (notArray, notArrayHeaders) = FilesHTTPTests.multipart([], files: [("x.json", "application/json", Data(#"{"title":"x"}"#.utf8))])
        #expect(try await depot.request("POST", "/utils/import/articles", body: notArray, headers: notArrayHeaders, token: admin).errorCode == "INVALID_PAYLOAD")
        #expect(try await Self.titles(depot, admin, sort: "id").count == 7)

        // Permissions: create and update on the collection; a system collection only for administrators.
        let creator = try await depot.caller("creator", rules: [TestRule(collection: "articles", action: "create")], admin: admin)
        let (one, oneHeaders) = FilesHTTPTests.multipart([], files: [("a.json", "application/json", Data(#"[{"title":"x"}]"#.utf8))])
        #expect(try await depot.request("POST", "/utils/import/articles", body: one, headers: oneHeaders, token: creator.token).status == 403)
        let writer = try await depot.caller("writer", rules: [
            TestRule(collection: "articles", action: "create", fields: ["title"]), TestRule(collection: "articles", action: "update", fields: ["title"]),
            TestRule(collection: "directus_translations", action: "create"), TestRule(collection: "directus_translations", action: "update"),
        ], admin: admin)
        #expect(try await depot.request("POST", "/utils/import/articles", body: one, headers: oneHeaders, token: writer.token).status == 200)
        let (views, viewsHeaders) = FilesHTTPTests.multipart([], files: [("a.json", "application/json", Data(#"[{"title":"y","views":1}]"#.utf8))])
        #expect(try await depot.request("POST", "/utils/import/articles", body: views, headers: viewsHeaders, token: writer.token).status == 403, "a field outside the rules")
        let (translation, translationHeaders) = FilesHTTPTests.multipart([], files: [("t.json", "application/json", Data(#"[{"key":"k","language":"en-US","value":"v"}]"#.utf8))])
        #expect(try await depot.request("POST", "/utils/import/directus_translations", body: translation, headers: translationHeaders, token: writer.token).status == 403)
        #expect(try await depot.request("POST", "/utils/import/directus_translations", body: translation, headers: translationHeaders, token: admin).status == 200)
        #expect(try await depot.request("POST", "/utils/import/nothing", body: one, headers: oneHeaders, token: admin).status == 403)
    }

    @Test(arguments: Dialect.allCases)
    func importErrorsAreGroupedByFieldWithTheirRowsAndNothingIsWritten(dialect: Dialect) async throws {
        guard let (depot, test, admin) = try await Self.catalog(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        let long = JSONValue.string(String(repeating: "x", count: 21))
        let fine: JSONValue = .object([("title", "Fine")]), untitled: JSONValue = .object([("views", .int(1))])
        let tooLong: JSONValue = .object([("title", long)]), nullTitle: JSONValue = .object([("title", .null)])
        // Rows 2–6 and 9 have no title, rows 7 and 10 one too long; rows 1 and 8 are fine.
        let rows: [JSONValue] = [fine, untitled, untitled, nullTitle, untitled, untitled, tooLong, fine, untitled, tooLong]
        let (body, headers) = FilesHTTPTests.multipart([], files: [("rows.json", "application/json", Data(JSONValue.array(rows).serialized()))])
        let reply = try await depot.request("POST", "/utils/import/articles", body: body, headers: headers, token: admin)
        #expect(reply.status == 400, "\(reply.text)")
        let errors = reply.json["errors"]?.arrayItems ?? []
        let notNull = errors.first { $0["extensions"]?["code"] == "NOT_NULL_VIOLATION" }
        #expect(notNull?["extensions"]?["field"] == "title", "\(reply.text)")
        #expect(keyed(notNull?["extensions"]?["rows"]) == keyed(JSONValue.array([
            .object([("type", "range"), ("start", .int(2)), ("end", .int(6))]), .object([("type", "lines"), ("rows", .array([.int(9)]))]),
        ])), "\(reply.text)")
        let longTitle = errors.first { $0["extensions"]?["code"] == "VALUE_TOO_LONG" }
        #expect(longTitle?["extensions"]?["field"] == "title")
        #expect(keyed(longTitle?["extensions"]?["rows"]) == keyed(JSONValue.array([.object([("type", "lines"), ("rows", .array([.int(7), .int(10)]))])])), "\(reply.text)")
        #expect(errors.count == 2)
        #expect(try await Self.titles(depot, admin, sort: "id") == ["First", "Second", "Third"], "all or nothing: rows 1 and 8 were not kept")

        // An error that names no field is answered alone.
        let (bad, badHeaders) = FilesHTTPTests.multipart([], files: [("bad.json", "application/json", Data(#"[{"title":"ok"},{"views":"many"}]"#.utf8))])
        let typed = try await depot.request("POST", "/utils/import/articles", body: bad, headers: badHeaders, token: admin)
        #expect(typed.status == 400 && typed.json["errors"]?.arrayItems?.count == 1 && typed.errorCode == "INVALID_PAYLOAD", "\(typed.text)")
        #expect(try await Self.titles(depot, admin, sort: "id").count == 3)
    }

    @Test(arguments: Dialect.allCases)
    func importInTheBackgroundAnswersAtOnceAndNotifies(dialect: Dialect) async throws {
        guard let (depot, test, admin) = try await Self.catalog(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        var csv = "title,views\n"
        for i in 1...300 { csv += "Row \(i),\(i)\n" }
        let reply = try await Self.curlImport(depot, "articles", file: try Self.write(csv, named: "many.csv"), type: "text/csv", token: admin, query: "?background=true")
        #expect(reply.status == 200, "\(reply.body)")
        let deadline = Date().addingTimeInterval(30)
        var count = 0
        while Date() < deadline {
            count = try await Self.titles(depot, admin, sort: "id").count
            if count == 303 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(count == 303)
        let note = try await Self.waitForNotification(depot, admin, subject: "Your import in articles has been succesful")
        #expect(note != nil)

        let failing = "title\n\(String(repeating: "y", count: 30))\n"
        let failed = try await Self.curlImport(depot, "articles", file: try Self.write(failing, named: "bad.csv"), type: "text/csv", token: admin, query: "?background=true")
        #expect(failed.status == 200, "the background import answers before it fails: \(failed.body)")
        let failure = try await Self.waitForNotification(depot, admin, subject: "Your import in articles has failed")
        #expect(failure?["message"]?.stringValue?.contains("too long") == true, "\(failure ?? .null)")
        #expect(try await Self.titles(depot, admin, sort: "id").count == 303)
    }

    static func waitForNotification(_ depot: DepotProcess, _ token: String, subject: String) async throws -> JSONValue? {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let found = try await depot.request("GET", "/notifications?" + SystemCollectionsTests.query([
                ("filter", "{\"subject\":{\"_eq\":\"\(subject)\"}}"), ("fields", "subject,message,collection,item,recipient,sender"),
            ]), token: token).json["data"]?.arrayItems?.first
            if let found { return found }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    // MARK: export

    /// The export's file row, once it appears.
    static func waitForFile(_ depot: DepotProcess, _ token: String, title: String) async throws -> JSONValue? {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let found = try await depot.request("GET", "/files?" + SystemCollectionsTests.query([
                ("filter", "{\"title\":{\"_eq\":\"\(title)\"}}"), ("fields", "id,title,type,filename_download,folder,filesize,uploaded_by"),
            ]), token: token).json["data"]?.arrayItems?.first
            if let found { return found }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    @Test(arguments: Dialect.allCases)
    func exportStoresTheCallersItemsAsAFile(dialect: Dialect) async throws {
        guard let (depot, test, admin) = try await Self.catalog(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        try await depot.expectOK("PATCH", "/items/articles/2", .object([("tags", .object([("color", "red")]))]), token: admin)
        try await depot.expectOK("POST", "/items/articles", .array([.object([("title", "Fourth"), ("views", .int(4))]), .object([("title", "Fifth"), ("views", .int(5))])]), token: admin)
        let folder = try await depot.request("POST", "/folders?fields=id", json: .object([("name", "exports")]), token: admin).json["data"]?["id"] ?? .null
        let me = try await depot.request("GET", "/users/me?fields=id", token: admin).json["data"]?["id"] ?? .null

        func export(_ format: String, _ query: JSONValue, title: String, token: String) async throws -> (JSONValue, String)? {
            let reply = try await depot.request("POST", "/utils/export/articles", json: .object([
                ("query", query), ("format", .string(format)), ("file", .object([("title", .string(title)), ("folder", folder)])),
            ]), token: token)
            #expect(reply.status == 204, "\(format): \(reply.text)")
            guard let file = try await Self.waitForFile(depot, token, title: title), let id = file["id"]?.stringValue else { return nil }
            let content = try await depot.request("GET", "/assets/\(id)", token: token)
            return (file, content.text)
        }
        let all: JSONValue = .object([("fields", .array(["id", "title", "views", "tags"])), ("sort", .array(["id"]))])

        // JSON across three batches of two: the items the query reads, whole.
        let (jsonFile, json) = try #require(try await export("json", all, title: "All as JSON", token: admin))
        #expect(jsonFile["type"] == "application/json" && jsonFile["folder"] == folder && jsonFile["uploaded_by"] == me)
        #expect(jsonFile["filename_download"]?.stringValue?.hasPrefix("export-articles-") == true && jsonFile["filename_download"]?.stringValue?.hasSuffix(".json") == true)
        let expected = try await depot.request("GET", "/items/articles?fields=id,title,views,tags&sort=id", token: admin).json["data"] ?? .null
        #expect(try JSONValue.parse(Array(json.utf8)) == expected, "\(json)")

        // CSV: one header naming every column of every batch (tags.color only appears in the first).
        let (_, csv) = try #require(try await export("csv", .object([("fields", .array(["title", "tags"])), ("sort", .array(["-id"]))]), title: "As CSV", token: admin))
        #expect(csv.split(separator: "\n").map(String.init) == ["title,tags,tags.color", "Fifth,,", "Fourth,,", "Third,,", "Second,,red", "First,,"], "\(csv)")

        // YAML and XML, with a filter and a limit that ends within a batch.
        let some: JSONValue = .object([("fields", .array(["title"])), ("filter", .object([("views", .object([("_gte", .int(2))]))])), ("limit", .int(3)), ("sort", .array(["views"]))])
        let (yamlFile, yaml) = try #require(try await export("yaml", some, title: "As YAML", token: admin))
        #expect(yamlFile["type"] == "text/yaml")
        #expect(yaml == "- title: Second\n- title: Third\n- title: Fourth\n", "\(yaml)")
        let (_, xml) = try #require(try await export("xml", some, title: "As XML", token: admin))
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<data>") && xml.contains("<title>Third</title>") && !xml.contains("<title>Fifth</title>"), "\(xml)")
        #expect(xml.components(separatedBy: "<title>").count == 4)

        let note = try await Self.waitForNotification(depot, admin, subject: "Your export of articles is ready")
        #expect(note?["collection"] == "directus_files" && note?["recipient"] == me, "\(note ?? .null)")

        // The caller's read rules shape the file; without any, the export is refused at once.
        let reader = try await depot.caller("reader", rules: [
            TestRule(collection: "articles", action: "read", fields: ["id", "title"], filter: .object([("views", .object([("_lte", .int(2))]))])),
            TestRule(collection: "directus_files", action: "create"), TestRule(collection: "directus_files", action: "read"),
        ], admin: admin)
        let (_, readers) = try #require(try await export("json", .object([("fields", .array(["title"])), ("sort", .array(["id"]))]), title: "Reader's", token: reader.token))
        #expect(try JSONValue.parse(Array(readers.utf8)) == JSONValue.array([.object([("title", "First")]), .object([("title", "Second")])]), "\(readers)")
        let stranger = try await depot.caller("stranger", rules: [], admin: admin)
        let refused = try await depot.request("POST", "/utils/export/articles", json: .object([("query", all), ("format", "json")]), token: stranger.token)
        #expect(refused.status == 403, "\(refused.text)")

        for (body, reason) in [(JSONValue.object([("format", "json")]), "query"), (.object([("query", all)]), "format"),
                               (.object([("query", all), ("format", "pdf")]), "format")] {
            let bad = try await depot.request("POST", "/utils/export/articles", json: body, token: admin)
            #expect(bad.status == 400 && bad.errorCode == "INVALID_PAYLOAD" && bad.text.contains(reason), "\(bad.text)")
        }
        #expect(try await depot.request("POST", "/utils/export/nothing", json: .object([("query", all), ("format", "json")]), token: admin).status == 403)
    }
}
