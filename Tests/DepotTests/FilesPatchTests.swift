import CMS
import Foundation
import Testing

/// `PATCH /files/:id` and `PATCH /files` as Directus takes them: every column the caller's rules allow, `id`
/// ignored, `modified_on`/`modified_by` set by Depot, a new `filename_disk` renaming the stored object (one file at
/// a time, inside its location), and 400 naming the columns that describe the stored bytes.
@Suite struct FilesPatchTests {
    typealias Server = FilesHTTPTests.Server

    static func upload(_ server: Server, _ fields: [(String, String)] = [], token: String? = nil, filename: String = "holiday-photo.jpg") async throws -> String {
        let (body, headers) = FilesHTTPTests.multipart(fields, files: [(filename, "image/jpeg", FilesHTTPTests.photo)])
        let reply = try await server.depot.request("POST", "/files?fields=id", body: body, headers: headers, token: token ?? server.token)
        #expect(reply.status == 200, "upload: \(reply.text)")
        return reply.json["data"]?["id"]?.stringValue ?? ""
    }

    static func file(_ server: Server, _ id: String) async throws -> JSONValue {
        try await server.depot.request("GET", "/files/\(id)", token: server.token).json["data"] ?? .null
    }

    /// A user (static token `<name>-token`) with a policy of its own holding `rules` (collection, action, fields).
    static func user(_ server: Server, _ name: String, _ rules: [(String, String, [String])]) async throws -> (id: String, token: String) {
        func post(_ path: String, _ body: JSONValue) async throws -> String {
            let reply = try await server.depot.request("POST", path + "?fields=id", json: body, token: server.token)
            #expect(reply.status == 200, "\(path): \(reply.text)")
            return reply.json["data"]?["id"]?.stringValue ?? ""
        }
        let id = try await post("/users", .object([("email", .string("\(name)@example.com")), ("token", .string("\(name)-token"))]))
        let policy = try await post("/policies", .object([("name", .string(name))]))
        _ = try await post("/access", .object([("policy", .string(policy)), ("user", .string(id))]))
        for (collection, action, fields) in rules {
            _ = try await server.depot.request("POST", "/permissions", json: .object([
                ("policy", .string(policy)), ("collection", .string(collection)), ("action", .string(action)),
                ("fields", .array(fields.map(JSONValue.string))),
            ]), token: server.token)
        }
        return (id, "\(name)-token")
    }

    @Test(arguments: Dialect.allCases)
    func patchWritesEveryPermittedColumn(dialect: Dialect) async throws {
        guard let server = try await FilesHTTPTests.server(dialect: dialect) else { return }
        defer { Task { await server.stop() } }
        let depot = server.depot
        let id = try await Self.upload(server)
        let folder = try await depot.request("POST", "/folders?fields=id", json: .object([("name", "Trips")]), token: server.token).json["data"]?["id"] ?? .null
        let adminID = try await depot.request("GET", "/users/me?fields=id", token: server.token).json["data"]?["id"] ?? .null
        let other = UUID().uuidString.lowercased()
        let payload: JSONValue = .object([
            ("id", .string(other)), ("type", "image/png"), ("title", "Beach"), ("description", "At noon"), ("tags", .array(["sea", "sun"])),
            ("location", "Lisbon"), ("focal_point_x", .int(120)), ("focal_point_y", .int(80)), ("folder", folder),
            ("filename_download", "beach.png"), ("metadata", .object([("camera", "x100")])), ("charset", "binary"),
            ("duration", .int(5)), ("embed", "<iframe></iframe>"), ("modified_on", "2001-01-01T00:00:00.000Z"),
        ])
        let patched = try await depot.request("PATCH", "/files/\(id)", json: payload, token: server.token)
        #expect(patched.status == 200, "\(patched.text)")
        let row = try await Self.file(server, id)
        for (field, value) in [("id", JSONValue.string(id)), ("type", "image/png"), ("title", "Beach"), ("description", "At noon"),
                               ("tags", .array(["sea", "sun"])), ("location", "Lisbon"), ("focal_point_x", .int(120)), ("focal_point_y", .int(80)),
                               ("folder", folder), ("filename_download", "beach.png"), ("metadata", .object([("camera", "x100")])),
                               ("charset", "binary"), ("duration", .int(5)), ("embed", "<iframe></iframe>"), ("modified_by", adminID)] {
            #expect(row[field] == value, "\(field): \(row[field] ?? .null)")
        }
        let modified = row["modified_on"]?.stringValue ?? ""
        #expect(modified.hasPrefix(String(ISO8601DateFormatter().string(from: Date()).prefix(4))), "modified_on is Depot's: \(modified)")
        #expect(try await depot.request("GET", "/files/\(other)", token: server.token).status == 403, "`id` is ignored, not a new key")
        let served = try await depot.request("GET", "/assets/\(id)", token: server.token)
        #expect(served.header("content-type") == "image/png" && served.body == FilesHTTPTests.photo)
        #expect(try await depot.request("PATCH", "/files/\(id)", json: .object([("type", "IMAGE/JPEG")]), token: server.token).json["data"]?["type"] == "image/jpeg")
        #expect(try await depot.request("PATCH", "/files/\(id)", json: .object([("type", "not a type")]), token: server.token).status == 400)

        // Depot keeps what it measured: the row must not lie about its bytes.
        for field in ["storage", "filesize", "width", "height"] {
            let refused = try await depot.request("PATCH", "/files/\(id)", json: .object([("title", "Changed"), (field, .int(1))]), token: server.token)
            #expect(refused.status == 400 && refused.errorCode == "INVALID_PAYLOAD" && refused.text.contains("\\\"\(field)\\\""), "\(field): \(refused.text)")
        }
        let after = try await Self.file(server, id)
        #expect(after["title"] == "Beach" && after["filesize"] == .int(Int64(FilesHTTPTests.photo.count)) && after["width"] == .int(400) && after["storage"] == "local")

        // A caller sets what its update rule lists — as directus-py-sdk does right after an upload.
        let editor = try await Self.user(server, "editor", [("directus_files", "create", ["*"]), ("directus_files", "read", ["*"]),
                                                            ("directus_files", "update", ["type", "title"])])
        let own = try await Self.upload(server, token: editor.token)
        let typed = try await depot.request("PATCH", "/files/\(own)", json: .object([("type", "image/jpeg"), ("title", "Mine")]), token: editor.token)
        #expect(typed.status == 200 && typed.json["data"]?["type"] == "image/jpeg" && typed.json["data"]?["title"] == "Mine", "\(typed.text)")
        #expect(typed.json["data"]?["modified_by"] == .string(editor.id))
        let outside = try await depot.request("PATCH", "/files/\(own)", json: .object([("description", "x")]), token: editor.token)
        #expect(outside.status == 403 && outside.errorCode == "FORBIDDEN")
    }

    @Test(arguments: Dialect.allCases)
    func batchPatchesByKeysQueryAndArrayAllOrNone(dialect: Dialect) async throws {
        guard let server = try await FilesHTTPTests.server(dialect: dialect) else { return }
        defer { Task { await server.stop() } }
        let depot = server.depot
        let a = try await Self.upload(server), b = try await Self.upload(server), c = try await Self.upload(server)
        func titles() async throws -> [String] {
            let reply = try await depot.request("GET", "/files?fields=title&limit=-1", token: server.token)
            return (reply.json["data"]?.arrayItems?.compactMap { $0["title"]?.stringValue } ?? []).sorted()
        }
        let byKeys = try await depot.request("PATCH", "/files?fields=id,title", json: .object([("keys", .array([.string(a), .string(b)])), ("data", .object([("title", "Kept"), ("type", "image/webp")]))]), token: server.token)
        #expect(byKeys.status == 200 && byKeys.json["data"]?.arrayItems?.count == 2 && byKeys.json["data"]?.arrayItems?.allSatisfy { $0["title"] == "Kept" } == true, "\(byKeys.text)")
        let byQuery = try await depot.request("PATCH", "/files", json: .object([
            ("query", .object([("filter", .object([("title", .object([("_eq", "Kept")]))]))])), ("data", .object([("tags", .array(["batch"]))])),
        ]), token: server.token)
        #expect(byQuery.status == 200 && byQuery.json["data"]?.arrayItems?.count == 2, "\(byQuery.text)")
        let (tagged, untouched) = (try await Self.file(server, a), try await Self.file(server, c))
        #expect(tagged["tags"] == .array(["batch"]) && untouched["tags"] == .null)
        let array = try await depot.request("PATCH", "/files", json: .array([.object([("id", .string(a)), ("title", "A")]), .object([("id", .string(c)), ("title", "C")])]), token: server.token)
        #expect(array.status == 200 && array.json["data"]?.arrayItems?.compactMap { $0["title"]?.stringValue } == ["A", "C"], "\(array.text)")

        // One file out of reach, or one refused column: nothing is written.
        let before = try await titles()
        let unknown = try await depot.request("PATCH", "/files", json: .object([("keys", .array([.string(b), .string(UUID().uuidString.lowercased())])), ("data", .object([("title", "Z")]))]), token: server.token)
        #expect(unknown.status == 403)
        let refused = try await depot.request("PATCH", "/files", json: .array([.object([("id", .string(a)), ("title", "Z")]), .object([("id", .string(b)), ("filesize", .int(3))])]), token: server.token)
        #expect(refused.status == 400 && refused.text.contains("filesize"))
        let renamed = try await depot.request("PATCH", "/files", json: .object([("keys", .array([.string(a), .string(b)])), ("data", .object([("filename_disk", "same.jpg")]))]), token: server.token)
        #expect(renamed.status == 400 && renamed.errorCode == "INVALID_PAYLOAD", "filename_disk is one file at a time: \(renamed.text)")
        #expect(try await titles() == before)
    }

    @Test(arguments: Dialect.allCases, ["local", "s3"])
    func filenameDiskRenamesTheStoredObject(dialect: Dialect, location: String) async throws {
        guard let server = try await FilesHTTPTests.server(withS3: location == "s3", dialect: dialect) else { return }
        defer { Task { await server.stop() } }
        let depot = server.depot
        let id = try await Self.upload(server, [("storage", location)])
        let other = try await Self.upload(server, [("storage", location)])
        #expect(try await depot.request("GET", "/assets/\(id)?width=40", token: server.token).status == 200)

        let renamed = try await depot.request("PATCH", "/files/\(id)", json: .object([("filename_disk", "trips/2026/beach.jpg")]), token: server.token)
        #expect(renamed.status == 200 && renamed.json["data"]?["filename_disk"] == "trips/2026/beach.jpg", "\(renamed.text)")
        var keys = try await server.storedKeys()
        #expect(keys.contains("trips/2026/beach.jpg") && !keys.contains("\(id).jpg") && keys.contains("\(other).jpg"), "\(keys)")
        #expect(try await depot.request("GET", "/assets/\(id)", token: server.token).body == FilesHTTPTests.photo)
        let transformed = try await depot.request("GET", "/assets/\(id)?width=30", token: server.token)
        #expect(transformed.status == 200 && transformed.header("content-type") == "image/jpeg")
        #expect(try await server.storedKeys().filter { $0.contains("__") }.allSatisfy { $0.hasPrefix("\(id)__") }, "derivatives are named after the file")

        // Another file's key, keys outside the location, hidden or derivative-shaped names: refused, nothing moved.
        let taken = try await depot.request("PATCH", "/files/\(other)", json: .object([("filename_disk", "trips/2026/beach.jpg")]), token: server.token)
        #expect(taken.status == 400 && taken.errorCode == "RECORD_NOT_UNIQUE", "\(taken.text)")
        for key in ["../escape.jpg", "/etc/escape.jpg", "a/../../escape.jpg", "a//b.jpg", ".hidden.jpg", "a\\b.jpg", "", "\(other)__abc.webp"] {
            let refused = try await depot.request("PATCH", "/files/\(other)", json: .object([("filename_disk", .string(key))]), token: server.token)
            #expect(refused.status == 400, "\(key): \(refused.text)")
        }
        let null = try await depot.request("PATCH", "/files/\(other)", json: .object([("filename_disk", .null)]), token: server.token)
        #expect(null.status == 400)
        keys = try await server.storedKeys()
        #expect(keys.contains("\(other).jpg") && !keys.contains { $0.contains("escape") })
        #expect(!FileManager.default.fileExists(atPath: server.uploads + "/../escape.jpg"))
        #expect(try await depot.request("GET", "/assets/\(other)", token: server.token).body == FilesHTTPTests.photo)

        // Renaming again, then deleting: no object stays behind.
        #expect(try await depot.request("PATCH", "/files/\(id)", json: .object([("filename_disk", "beach.jpg"), ("title", "Beach")]), token: server.token).status == 200)
        #expect(try await server.storedKeys().contains("beach.jpg"))
        #expect(try await depot.request("DELETE", "/files", json: .array([.string(id), .string(other)]), token: server.token).status == 204)
        #expect(try await server.storedKeys() == [])
    }

    @Test(arguments: Dialect.allCases)
    func multipartPatchReplacesTheBytesAndSetsItsFields(dialect: Dialect) async throws {
        guard let server = try await FilesHTTPTests.server(dialect: dialect) else { return }
        defer { Task { await server.stop() } }
        let depot = server.depot
        let id = try await Self.upload(server)
        let text = Data("plain words".utf8)
        // Fields before the file describe it; fields after it are set as a JSON PATCH sets them.
        let boundary = "depot-patch-\(UUID().uuidString)"
        var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nNotes\r\n".utf8)
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\nContent-Type: text/plain\r\n\r\n".utf8) + text
        body += Data("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{\"lang\":\"en\"}\r\n".utf8)
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"focal_point_x\"\r\n\r\n12\r\n--\(boundary)--\r\n".utf8)
        let replaced = try await depot.request("PATCH", "/files/\(id)", body: body, headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"], token: server.token)
        #expect(replaced.status == 200, "\(replaced.text)")
        let row = try await Self.file(server, id)
        #expect(row["title"] == "Notes" && row["type"] == "text/plain" && row["filesize"] == .int(Int64(text.count)) && row["width"] == .null)
        #expect(row["metadata"] == .object([("lang", "en")]) && row["focal_point_x"] == .int(12), "\(row)")
        #expect(try await depot.request("GET", "/assets/\(id)", token: server.token).body == text)

        let (sized, headers) = FilesHTTPTests.multipart([("filesize", "1")], files: [("photo.jpg", "image/jpeg", FilesHTTPTests.photo)])
        let refused = try await depot.request("PATCH", "/files/\(id)", body: sized, headers: headers, token: server.token)
        #expect(refused.status == 400 && refused.text.contains("filesize"), "\(refused.text)")
        #expect(try await depot.request("GET", "/assets/\(id)", token: server.token).body == text, "a refused replacement keeps the bytes")
    }
}
