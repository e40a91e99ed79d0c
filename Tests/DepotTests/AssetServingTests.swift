import Assets
@testable import CMS
import Database
import Foundation
import Glibc
import Logging
@testable import Server
import Storage
import Testing

/// `/assets` as a CDN origin: local bytes by sendfile (whole, ranges, HEAD, revalidation, a file replaced while it
/// is sent), and a hot path that reads no database row until a write could change the answer.
@Suite struct AssetServingTests {
    static func randomBytes(_ count: Int) -> Data {
        let urandom = FileHandle(forReadingAtPath: "/dev/urandom")!
        defer { try? urandom.close() }
        return urandom.readData(ofLength: count)
    }

    /// Compares bytes without letting a failed expectation diff megabytes (the testing library's diff of two
    /// large `Data` values runs for many minutes); says what differs instead.
    static func same(_ a: Data, _ b: Data, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        guard a != b else { return true }
        let at = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        Issue.record("\(a.count) bytes, expected \(b.count); first difference at \(at)", sourceLocation: sourceLocation)
        return false
    }

    @Test func localBytesGoOutWholeInRangesAndRevalidate() async throws {
        guard let server = try await FilesHTTPTests.server() else { return }
        defer { Task { await server.stop() } }
        let bytes = Self.randomBytes(3_000_000)
        let (body, headers) = FilesHTTPTests.multipart([], files: [("archive.bin", "application/octet-stream", bytes)])
        let uploaded = try await server.depot.request("POST", "/files", body: body, headers: headers, token: server.token)
        let id = try #require(uploaded.json["data"]?["id"]?.stringValue, "\(uploaded.text)")
        let path = "/assets/\(id)"

        let whole = try await server.depot.request("GET", path, token: server.token)
        #expect(whole.status == 200)
        #expect(Self.same(whole.body, bytes), "the whole file, byte for byte")
        #expect(whole.header("Content-Length") == "3000000")
        let etag = try #require(whole.header("ETag"))

        for (range, expected, contentRange) in [("bytes=0-0", bytes.prefix(1), "bytes 0-0/3000000"),
                                                ("bytes=1000-2999999", bytes.dropFirst(1000), "bytes 1000-2999999/3000000"),
                                                ("bytes=-100", bytes.suffix(100), "bytes 2999900-2999999/3000000"),
                                                ("bytes=2999990-", bytes.suffix(10), "bytes 2999990-2999999/3000000")] {
            let part = try await server.depot.request("GET", path, headers: ["Range": range], token: server.token)
            #expect(part.status == 206, "\(range)")
            #expect(Self.same(part.body, Data(expected)), "\(range): \(part.body.count) bytes")
            #expect(part.header("Content-Range") == contentRange)
        }
        let unsatisfiable = try await server.depot.request("GET", path, headers: ["Range": "bytes=3000000-"], token: server.token)
        #expect(unsatisfiable.status == 416)
        #expect(unsatisfiable.header("Content-Range") == "bytes */3000000")

        // HEAD through curl: the headers of the GET and no body.
        let url = "http://127.0.0.1:\(server.depot.port)\(path)", auth = "Authorization: Bearer \(server.token)"
        let head = try await CurlClient.run(["-I", "-H", auth, url]).text.lowercased()
        #expect(head.contains("http/1.1 200"), "\(head)")
        #expect(head.contains("content-length: 3000000"))
        #expect(!head.contains("x-depot-sendfile"), "the private header never leaves")

        let revalidated = try await server.depot.request("GET", path, headers: ["If-None-Match": etag], token: server.token)
        #expect(revalidated.status == 304)
        #expect(revalidated.body.isEmpty)

        // Requests one after the other on one keep-alive connection, whole and ranged: each answer framed right.
        var arguments: [String] = []
        for n in 0..<6 {
            if n > 0 { arguments.append("--next") }
            arguments += ["-o", "/dev/null", "-w", "%{http_code} %{size_download} %{num_connects}\\n", "-H", auth] + (n % 2 == 1 ? ["-r", "10-19"] : []) + [url]
        }
        let sequence = try await CurlClient.run(arguments).text
        #expect(sequence.split(separator: "\n") == ["200 3000000 1", "206 10 0", "200 3000000 0", "206 10 0", "200 3000000 0", "206 10 0"],
                "\(sequence)")

        // A stored derivative goes out the same way.
        let made = try await FilesHTTPTests().upload(server)
        let image = try #require(made.json["data"]?["id"]?.stringValue)
        let first = try await server.depot.request("GET", "/assets/\(image)?width=64", token: server.token)
        let stored = try await server.depot.request("GET", "/assets/\(image)?width=64", token: server.token)
        #expect(first.status == 200 && stored.status == 200)
        #expect(stored.header("Server-Timing") == "derivative;desc=\"stored\"")
        #expect(Self.same(stored.body, first.body) && stored.header("Content-Length") == String(first.body.count))
        let tail = try await server.depot.request("GET", "/assets/\(image)?width=64", headers: ["Range": "bytes=-50"], token: server.token)
        #expect(tail.status == 206 && Self.same(tail.body, first.body.suffix(50)))
    }

    @Test func aFileReplacedWhileItIsSentArrivesWhole() async throws {
        // A short keep-alive: the reader below pauses longer than that in the middle of the answer, which must
        // not count as an idle connection (the file is still being sent).
        guard let server = try await FilesHTTPTests.server(["SERVER_KEEP_ALIVE_TIMEOUT": "500"]) else { return }
        defer { Task { await server.stop() } }
        let (body, headers) = FilesHTTPTests.multipart([], files: [("data.bin", "application/octet-stream", Self.randomBytes(1000))])
        let uploaded = try await server.depot.request("POST", "/files", body: body, headers: headers, token: server.token)
        let id = try #require(uploaded.json["data"]?["id"]?.stringValue, "\(uploaded.text)")
        let key = try #require(uploaded.json["data"]?["filename_disk"]?.stringValue)
        // Larger than what the socket buffers of both ends hold, so most of it is still in the file when it is
        // replaced; put in place as the local driver writes (a temporary file renamed over the key).
        let old = Self.randomBytes(16 << 20), new = Self.randomBytes(1 << 20)
        try old.write(to: URL(fileURLWithPath: server.uploads + "/" + key), options: .atomic)

        // A client that reads slowly: the first bytes arrive, then the file is replaced, then it reads the rest.
        let request = "GET /assets/\(id) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(server.token)\r\nConnection: close\r\n\r\n"
        let socket = try #require(RawHTTPExchange.send(port: server.depot.port, request))
        let head = await Self.receive(socket, atLeast: 64 * 1024)
        #expect(head.count >= 64 * 1024)
        let (replacement, replacementHeaders) = FilesHTTPTests.multipart([], files: [("data.bin", "application/octet-stream", new)])
        let patched = try await server.depot.request("PATCH", "/files/\(id)", body: replacement, headers: replacementHeaders, token: server.token)
        #expect(patched.status == 200, "\(patched.text)")
        #expect(Self.same(try Data(contentsOf: URL(fileURLWithPath: server.uploads + "/" + key)), new), "replaced while the reader waits")
        try await Task.sleep(for: .seconds(1))   // a slow client: twice the keep-alive time without reading
        let response = head + (await Self.receive(socket, atLeast: .max))
        close(socket)
        let separator = try #require(response.range(of: Data("\r\n\r\n".utf8)))
        let received = response[separator.upperBound...]
        #expect(received.count == old.count, "the reader got \(received.count) bytes")
        #expect(Self.same(Data(received), old), "the bytes the reader was promised, whole")

        let after = try await server.depot.request("GET", "/assets/\(id)", token: server.token)
        #expect(Self.same(after.body, new), "the next request gets the new bytes")
    }

    /// Reads until `count` bytes arrived or the server closed (15 s at most), on a dispatch thread.
    static func receive(_ fd: Int32, atLeast count: Int) async -> Data {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var limit = timeval(tv_sec: 15, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                var received = Data()
                var buffer = [UInt8](repeating: 0, count: 65536)
                while received.count < count {
                    let n = recv(fd, &buffer, min(buffer.count, count - received.count), 0)
                    if n <= 0 { break }
                    received += buffer.prefix(n)
                }
                continuation.resume(returning: received)
            }
        }
    }

    /// The hot path counted statement by statement: once a file was asked for, the original and a stored
    /// derivative are answered with no statement, for an administrator and for a public caller whose rule has an
    /// item filter. A write to the file's row, to the access tables or a derivative removal makes the next
    /// request read again.
    @Test func answersComeFromMemoryUntilAWriteCouldChangeThem() async throws {
        guard let server = try await FilesHTTPTests.server() else { return }
        defer { Task { await server.stop() } }
        let made = try await FilesHTTPTests().upload(server, [("title", "public")])
        let id = try #require(made.json["data"]?["id"]?.stringValue)
        try await server.depot.expectOK("GET", "/assets/\(id)?width=80", nil, token: server.token)
        let policy = try await server.depot.request("GET", "/policies?filter[icon][_eq]=public&fields=id", token: server.token)
            .json["data"]?.arrayItems?.first?["id"]?.stringValue ?? ""
        try await server.depot.expectOK("POST", "/permissions", .object([
            ("policy", .string(policy)), ("collection", "directus_files"), ("action", "read"), ("fields", .array(["*"])),
            ("permissions", .object([("title", .object([("_eq", "public")]))])),
        ]), token: server.token)

        _ = try VipsRuntime.start(AssetsConfiguration())
        let counting = CountingDatabase(try await server.database.open())
        // Tracked as the server's is: reads tag what they read, commits are announced on the feed.
        let feed = ChangeFeed()
        let database = TrackedDatabase(counting, feed: feed)
        let storage = try StorageLocations(StorageConfiguration(locations: [.init(name: "local", driver: .local(root: server.uploads))]))
        let permissions = PermissionsResolver(database: database)
        let files = FilesService(database: database, storage: storage, inspector: NoInspector(), configuration: FilesConfiguration(),
                                 permissions: permissions)
        let transformer = AssetTransformer(configuration: AssetsConfiguration(), database: database, logger: Logger(label: "test"))
        let assets = AssetService(transformer: transformer, storage: storage) { StoredAssetSettings(transform: nil, presetsJSON: nil) }
        feed.subscribe { event in files.assetLookups.invalidate(tables: event.tables, access: event.accessChanged) }
        defer { Task { await transformer.shutdown(); await storage.shutdown(); await database.close() } }

        /// Statements run to answer, and whether the answer was a derivative from storage.
        func statements(_ query: [String: String], _ caller: Accountability) async throws -> (Int, Bool) {
            counting.reset()
            let stored = try await assets.serve(id, query: query, accept: nil, access: CallerAssetAccess(files: files, caller: caller)) {
                $0.derivative.map { $0.origin == .stored } ?? true
            }
            return (counting.statements, stored)
        }
        let me = try await server.depot.request("GET", "/users/me?fields=id,role", token: server.token).json["data"]
        let admin = Accountability(user: me?["id"]?.stringValue, role: me?["role"]?.stringValue, admin: true)
        let anonymous = Accountability()
        for caller in [admin, anonymous] {
            let (cold, _) = try await statements([:], caller)
            #expect(cold > 0, "the caller's first answer reads the row (admin: \(caller.admin))")
            _ = try await statements(["width": "80"], caller)   // the derivative's record, read once for every caller
            for query in [[:], ["width": "80"]] {
                let (warm, stored) = try await statements(query, caller)
                #expect(warm == 0 && stored, "\(warm) statements for \(query) for a repeated request (admin: \(caller.admin))")
            }
        }

        // A committed write to directus_files (announced on the change feed) makes the next request read again;
        // the public caller's answer changes with the row.
        try await database.execute("UPDATE directus_files SET title = 'private' WHERE id = ?", [.text(id)], writing: "directus_files")
        await #expect(throws: AssetsError.forbidden) { _ = try await statements([:], anonymous) }
        #expect(try await statements([:], admin).0 > 0)
        // Removing the derivatives forgets their records: the next request makes the derivative again.
        try await transformer.removeDerivatives(fileID: id, driver: storage.driver)
        let remade = try await assets.serve(id, query: ["width": "80"], accept: nil, access: CallerAssetAccess(files: files, caller: admin)) { $0.derivative?.origin }
        #expect(remade == .transformed)
    }

    struct NoInspector: ImageInspector {
        func inspect(_ key: String, in driver: any StorageDriver, size: Int64, prefix: [UInt8],
                     keep: @escaping @Sendable (String, String) -> Bool) async -> ImageDetails? { nil }
    }
}
