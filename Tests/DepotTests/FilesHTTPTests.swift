import CMS
import Foundation
import NIOCore
import Storage
import Testing

/// `/files`, `/folders` and `/assets` end to end, against the local folder and the S3 test server.
@Suite struct FilesHTTPTests {
    struct Server {
        let depot: DepotProcess
        let database: TestDatabase
        let uploads: String
        let s3: S3Driver?
        let session: CurlSession?
        let token: String

        func stop() async {
            _ = await depot.stop()
            await database.drop()
            if let s3 { _ = try? await s3.deletePrefix("") }
            await session?.shutdown()
            try? FileManager.default.removeItem(atPath: uploads)
        }

        /// Every object in every location.
        func storedKeys() async throws -> [String] {
            var keys = try FileManager.default.subpathsOfDirectory(atPath: uploads).filter {
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: uploads + "/" + $0, isDirectory: &isDirectory) && !isDirectory.boolValue
            }
            if let s3 { keys += try await s3.list(prefix: "", continuation: nil, limit: 1000).keys }
            return keys
        }

        func fileCount() async throws -> Int {
            let reply = try await depot.request("GET", "/files?meta=total_count&limit=0", token: token)
            guard case .int(let count)? = reply.json["meta"]?["total_count"] else { return -1 }
            return Int(count)
        }
    }

    /// A server with a local location and, when the S3 test server runs, an `s3` location on a fresh bucket.
    static func server(_ extra: [String: String] = [:], withS3: Bool = false, dialect: Dialect = .sqlite) async throws -> Server? {
        guard let database = try await TestDatabase.make(dialect) else { return nil }
        let uploads = try TempDirectory.make()
        var environment = database.environment.merging(["STORAGE_LOCAL_ROOT": uploads]) { $1 }
        var s3: S3Driver?
        var session: CurlSession?
        if withS3 {
            guard let configuration = TestStorage.s3Configuration() else { return nil }
            session = CurlSession(threads: 4)
            s3 = try S3Driver(configuration, session: session!)
            try await s3!.createBucketIfMissing()
            environment.merge([
                "STORAGE_LOCATIONS": "local,s3", "STORAGE_S3_DRIVER": "s3", "STORAGE_S3_KEY": configuration.key,
                "STORAGE_S3_SECRET": configuration.secret, "STORAGE_S3_BUCKET": configuration.bucket,
                "STORAGE_S3_ENDPOINT": configuration.endpoint!, "STORAGE_S3_FORCE_PATH_STYLE": "true",
                "STORAGE_S3_HEALTHCHECK_THRESHOLD": "10000",
            ]) { $1 }
        }
        let depot = try await DepotProcess.start(environment.merging(extra) { $1 })
        return Server(depot: depot, database: database, uploads: uploads, s3: s3, session: session, token: try await depot.adminToken())
    }

    /// A `multipart/form-data` body: fields first, then files.
    static func multipart(_ fields: [(String, String)], files: [(filename: String, type: String, data: Data)]) -> (Data, [String: String]) {
        let boundary = "depot-test-\(UUID().uuidString)"
        var body = Data()
        for (name, value) in fields {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        for file in files {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(file.filename)\"\r\nContent-Type: \(file.type)\r\n\r\n".utf8)
            body += file.data + Data("\r\n".utf8)
        }
        body += Data("--\(boundary)--\r\n".utf8)
        return (body, ["Content-Type": "multipart/form-data; boundary=\(boundary)"])
    }

    static let photo = try! Data(contentsOf: URL(fileURLWithPath: Repository.fixture("thumb-20k.jpg")))

    func upload(_ server: Server, _ fields: [(String, String)] = [], filename: String = "holiday-photo.jpg",
                type: String = "image/jpeg", data: Data = photo) async throws -> DepotProcess.Reply {
        let (body, headers) = Self.multipart(fields, files: [(filename, type, data)])
        return try await server.depot.request("POST", "/files", body: body, headers: headers, token: server.token)
    }

    @Test(arguments: ["local", "s3"])
    func uploadedFilesAreServedWithValidatorsAndRanges(location: String) async throws {
        guard let server = try await Self.server(withS3: location == "s3") else { return }
        defer { Task { await server.stop() } }
        let depot = server.depot
        let up = try await upload(server, [("storage", location), ("description", "a test")])
        #expect(up.status == 200, "\(up.text)")
        let file = try #require(up.json["data"])
        let id = try #require(file["id"]?.stringValue)
        #expect(file["storage"] == .string(location))
        #expect(file["filename_disk"] == .string("\(id).jpg"))
        #expect(file["filename_download"] == "holiday-photo.jpg")
        #expect(file["title"] == "Holiday Photo")
        #expect(file["type"] == "image/jpeg")
        #expect(file["filesize"] == .int(Int64(Self.photo.count)))
        #expect(file["width"] == .int(400) && file["height"] == .int(225))
        #expect(file["metadata"]?["sha256"] == .string(TestStorage.sha256(ByteBuffer(data: Self.photo))))

        let whole = try await depot.request("GET", "/assets/\(id)", token: server.token)
        #expect(whole.status == 200 && whole.body == Self.photo)
        #expect(whole.header("content-type") == "image/jpeg")
        #expect(whole.header("content-length") == String(Self.photo.count))
        #expect(whole.header("accept-ranges") == "bytes")
        #expect(whole.header("cache-control") == "private, max-age=2592000")
        #expect(whole.header("x-content-type-options") == "nosniff")
        #expect(whole.header("content-disposition")?.hasPrefix("inline; filename=\"holiday-photo.jpg\"") == true)
        let etag = try #require(whole.header("etag"))
        let lastModified = try #require(whole.header("last-modified"))
        #expect(etag.hasPrefix("\"") && !etag.hasPrefix("W/"))

        let named = try await depot.request("GET", "/assets/\(id)/holiday-photo.jpg?download", token: server.token)
        #expect(named.body == Self.photo && named.header("content-disposition")?.hasPrefix("attachment;") == true)

        let head = try await depot.request("HEAD", "/assets/\(id)", token: server.token)
        #expect(head.status == 200 && head.body.isEmpty && head.header("content-length") == String(Self.photo.count))

        let range = try await depot.request("GET", "/assets/\(id)", headers: ["Range": "bytes=100-199"], token: server.token)
        #expect(range.status == 206 && range.body == Self.photo[100...199])
        #expect(range.header("content-range") == "bytes 100-199/\(Self.photo.count)")
        let suffix = try await depot.request("GET", "/assets/\(id)", headers: ["Range": "bytes=-10"], token: server.token)
        #expect(suffix.status == 206 && suffix.body == Self.photo.suffix(10))
        let open = try await depot.request("GET", "/assets/\(id)", headers: ["Range": "bytes=19000-"], token: server.token)
        #expect(open.status == 206 && open.body == Self.photo[19000...])
        let beyond = try await depot.request("GET", "/assets/\(id)", headers: ["Range": "bytes=999999-"], token: server.token)
        #expect(beyond.status == 416 && beyond.errorCode == "RANGE_NOT_SATISFIABLE")
        #expect(beyond.header("content-range") == "bytes */\(Self.photo.count)")
        let staleIfRange = try await depot.request("GET", "/assets/\(id)", headers: ["Range": "bytes=0-9", "If-Range": "\"stale\""], token: server.token)
        #expect(staleIfRange.status == 200 && staleIfRange.body == Self.photo)

        let cached = try await depot.request("GET", "/assets/\(id)", headers: ["If-None-Match": etag], token: server.token)
        #expect(cached.status == 304 && cached.body.isEmpty)
        let since = try await depot.request("GET", "/assets/\(id)", headers: ["If-Modified-Since": lastModified], token: server.token)
        #expect(since.status == 304)
        let changed = try await depot.request("GET", "/assets/\(id)", headers: ["If-None-Match": "\"other\""], token: server.token)
        #expect(changed.status == 200)

        // Deleting removes the row, the original and every derivative.
        #expect(try await depot.request("DELETE", "/files/\(id)", token: server.token).status == 204)
        #expect(try await depot.request("GET", "/assets/\(id)", token: server.token).errorCode == "FORBIDDEN")
        #expect(try await depot.request("GET", "/files/\(id)", token: server.token).errorCode == "FORBIDDEN")
        #expect(try await server.storedKeys().isEmpty)
    }

    @Test func unknownAssetsAreForbiddenAndAnonymousCallersGetNothing() async throws {
        guard let server = try await Self.server() else { return }
        defer { Task { await server.stop() } }
        #expect(try await server.depot.request("GET", "/assets/\(UUID().uuidString.lowercased())", token: server.token).errorCode == "FORBIDDEN")
        #expect(try await server.depot.request("GET", "/assets/not-a-uuid", token: server.token).errorCode == "FORBIDDEN")
        let id = try #require(try await upload(server).json["data"]?["id"]?.stringValue)
        #expect(try await server.depot.request("GET", "/assets/\(id)").status == 403)
    }

    @Test func refusedUploadsLeaveNoRowAndNoBytes() async throws {
        guard let server = try await Self.server(["FILES_MAX_UPLOAD_SIZE": "10kb", "FILES_MIME_TYPE_ALLOW_LIST": "image/*,text/plain"]) else { return }
        defer { Task { await server.stop() } }
        let big = try await upload(server)   // 19 KB
        #expect(big.status == 413 && big.errorCode == "CONTENT_TOO_LARGE")
        let pdf = try await upload(server, filename: "doc.pdf", type: "application/pdf", data: Data("%PDF-1.4 tiny".utf8))
        #expect(pdf.status == 415 && pdf.errorCode == "UNSUPPORTED_MEDIA_TYPE")
        // A page that claims to be a PNG is sniffed for what it is, and refused.
        let disguised = try await upload(server, filename: "x.png", type: "image/png", data: Data("<!DOCTYPE html><script>alert(1)</script>".utf8))
        #expect(disguised.status == 415)
        let empty = try await server.depot.request("POST", "/files", json: .object([("title", "x")]), token: server.token)
        #expect(empty.status == 415)
        #expect(try await server.fileCount() == 0)
        #expect(try await server.storedKeys().isEmpty)

        let text = try await upload(server, filename: "notes.txt", type: "text/plain", data: Data("hello".utf8))
        #expect(text.status == 200 && text.json["data"]?["type"] == "text/plain")
    }

    @Test func markupIsServedSandboxed() async throws {
        guard let server = try await Self.server() else { return }
        defer { Task { await server.stop() } }
        let svg = Data("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".utf8)
        let up = try await upload(server, filename: "logo.svg", type: "application/octet-stream", data: svg)
        let id = try #require(up.json["data"]?["id"]?.stringValue)
        #expect(up.json["data"]?["type"] == "image/svg+xml")
        let served = try await server.depot.request("GET", "/assets/\(id)", token: server.token)
        #expect(served.header("content-security-policy") == "sandbox" && served.body == svg)
    }

    @Test func filesQueriesFoldersAndUpdates() async throws {
        guard let server = try await Self.server() else { return }
        defer { Task { await server.stop() } }
        let depot = server.depot, token = server.token
        let folder = try await depot.request("POST", "/folders", json: .object([("name", "Photos")]), token: token)
        let folderID = try #require(folder.json["data"]?["id"]?.stringValue)
        let child = try await depot.request("POST", "/folders", json: .object([("name", "2026"), ("parent", .string(folderID))]), token: token)
        #expect(child.json["data"]?["parent"] == .string(folderID))

        let a = try #require(try await upload(server, [("folder", folderID), ("title", "Beach")]).json["data"]?["id"]?.stringValue)
        let b = try #require(try await upload(server, filename: "notes.txt", type: "text/plain", data: Data("a note".utf8)).json["data"]?["id"]?.stringValue)

        func ids(_ query: String) async throws -> [String] {
            let reply = try await depot.request("GET", "/files?fields=id&\(query)", token: token)
            guard case .array(let rows)? = reply.json["data"] else { return [] }
            return rows.compactMap { $0["id"]?.stringValue }
        }
        let inFolder = "{\"folder\":{\"_eq\":\"\(folderID)\"}}".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        #expect(try await ids("filter=\(inFolder)") == [a])
        let types = "{\"type\":{\"_in\":[\"text/plain\",\"application/pdf\"]}}".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        #expect(try await ids("filter=\(types)") == [b])
        let titled = "{\"title\":{\"_contains\":\"eac\"}}".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        #expect(try await ids("filter=\(titled)") == [a])
        #expect(try await ids("sort=-filesize") == [a, b])
        #expect(try await ids("sort=filesize&limit=1&offset=1") == [a])
        let counted = try await depot.request("GET", "/files?meta=*&limit=1&filter=\(types)", token: token)
        #expect(counted.json["meta"]?["total_count"] == .int(2) && counted.json["meta"]?["filter_count"] == .int(1))
        let one = try await depot.request("GET", "/files/\(a)?fields=title,width", token: token)
        #expect(one.json["data"] == .object([("title", "Beach"), ("width", .int(400))]))

        let badField = try await depot.request("GET", "/files?filter=%7B%22nope%22:%7B%22_eq%22:1%7D%7D", token: token)
        #expect(badField.status == 400 && badField.errorCode == "INVALID_QUERY")
        let badOperator = try await depot.request("GET", "/files?filter=%7B%22title%22:%7B%22_nope%22:1%7D%7D", token: token)
        #expect(badOperator.errorCode == "INVALID_QUERY")

        let patched = try await depot.request("PATCH", "/files/\(b)", json: .object([("title", "Renamed"), ("tags", .array(["x"]))]), token: token)
        #expect(patched.json["data"]?["title"] == "Renamed" && patched.json["data"]?["tags"] == .array(["x"]))
        let refused = try await depot.request("PATCH", "/files/\(b)", json: .object([("filesize", .int(1))]), token: token)
        #expect(refused.status == 403)

        // Replacing the bytes updates size, type and dimensions; the old bytes are gone.
        let (body, headers) = Self.multipart([], files: [("photo.jpg", "image/jpeg", Self.photo)])
        let replaced = try await depot.request("PATCH", "/files/\(b)", body: body, headers: headers, token: token)
        #expect(replaced.json["data"]?["type"] == "image/jpeg" && replaced.json["data"]?["width"] == .int(400))
        #expect(try await depot.request("GET", "/assets/\(b)", token: token).body == Self.photo)

        // Deleting a folder moves its files and subfolders to the root.
        #expect(try await depot.request("DELETE", "/folders/\(folderID)", token: token).status == 204)
        #expect(try await depot.request("GET", "/files/\(a)?fields=folder", token: token).json["data"]?["folder"] == .null)
        let batch = try await depot.request("DELETE", "/files", json: .array([.string(a), .string(b)]), token: token)
        #expect(batch.status == 204)
        let remaining = try await server.fileCount()
        let keys = try await server.storedKeys()
        #expect(remaining == 0 && keys.isEmpty)
    }

    @Test func importsRefuseInternalAddressesAndStreamPublicOnes() async throws {
        guard let server = try await Self.server() else { return }
        defer { Task { await server.stop() } }
        let refused = try await server.depot.request("POST", "/files/import", json: .object([("url", .string("http://127.0.0.1:\(server.depot.port)/server/ping"))]), token: server.token)
        #expect(refused.status == 400 && refused.errorCode == "INVALID_PAYLOAD")
        let scheme = try await server.depot.request("POST", "/files/import", json: .object([("url", "file:///etc/passwd")]), token: server.token)
        #expect(scheme.status == 400)
        #expect(try await server.fileCount() == 0)

        // With loopback allowed, a fixture served on 127.0.0.1 is imported like an upload.
        guard let open = try await Self.server(["IMPORT_IP_DENY_LIST": "192.0.2.0/24"]) else { return }
        defer { Task { await open.stop() } }
        let origin = try StaticFileServer(directory: Repository.root + "/Fixtures")
        defer { origin.stop() }
        let imported = try await open.depot.request("POST", "/files/import", json: .object([
            ("url", .string("http://127.0.0.1:\(origin.port)/thumb-20k.jpg")), ("data", .object([("title", "Imported")])),
        ]), token: open.token)
        #expect(imported.status == 200, "\(imported.text)")
        #expect(imported.json["data"]?["title"] == "Imported" && imported.json["data"]?["width"] == .int(400))
        #expect(imported.json["data"]?["filesize"] == .int(Int64(Self.photo.count)))
        let missing = try await open.depot.request("POST", "/files/import", json: .object([("url", .string("http://127.0.0.1:\(origin.port)/missing.jpg"))]), token: open.token)
        #expect(missing.status == 503 && missing.errorCode == "SERVICE_UNAVAILABLE")
    }
}

/// `python3 -m http.server` on a free loopback port: a real origin for import tests.
final class StaticFileServer: Sendable {
    let port: Int
    private let process: Process

    init(directory: String) throws {
        port = try TestServices.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", directory]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: in_port_t(UInt16(port).bigEndian),
                                      sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
            let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            close(socket)
            if connected == 0 { return }
            usleep(50_000)
        }
    }

    func stop() { kill(process.processIdentifier, SIGKILL) }
}
