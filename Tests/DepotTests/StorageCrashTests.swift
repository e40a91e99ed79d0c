import CMS
import Database
import Foundation
import Glibc
import NIOCore
import Storage
import Testing

/// Crash consistency of uploads (kill -9 while they stream, then a restart on the same data) and
/// `depot storage check`.
@Suite struct StorageCrashTests {
    // MARK: kill -9 during uploads

    @Test(arguments: Dialect.allCases)
    func killDuringUploadsLeavesNoOrphansAfterRestart(dialect: Dialect) async throws {
        guard let database = try await TestDatabase.make(dialect) else { return }
        let uploads = try TempDirectory.make()
        let environment = database.environment.merging(["STORAGE_LOCAL_ROOT": uploads]) { $1 }
        var depot = try await DepotProcess.start(environment)
        defer {
            let last = depot
            Task {
                await last.stop(signal: SIGKILL)
                await database.drop()
                try? FileManager.default.removeItem(atPath: uploads)
            }
        }
        let token = try await depot.adminToken()

        // 20 uploads: 10 of 2 MB stall after their first 128 KB (their bytes sit in temporary files), 10 of
        // 512 KB are sent whole and race to their rows; the process is killed as soon as one is acknowledged.
        // (Sizes are kept small for debug builds, whose multipart parsing runs at a few hundred KB/s.)
        var stalled: [RawUpload] = []
        var whole: [RawUpload] = []
        for n in 0..<20 {
            let upload = try #require(RawUpload(port: depot.port, token: token, size: n % 2 == 0 ? 2 << 20 : 512 << 10, seed: UInt64(n + 1)))
            if n % 2 == 0 { stalled.append(upload) } else { whole.append(upload) }
        }
        await withTaskGroup(of: Void.self) { group in
            for upload in stalled { group.addTask { await upload.send(upTo: 128 << 10) } }
            for upload in whole { group.addTask { await upload.send(upTo: nil) } }
        }
        let replies = Task { await withTaskGroup(of: (Int, String).self) { group in
            for (n, upload) in whole.enumerated() { group.addTask { (n, await upload.reply()) } }
            var out: [Int: String] = [:]
            for await (n, reply) in group { out[n] = reply }
            return out
        } }
        try await waitFor("a whole upload acknowledged and the stalled ones writing", detail: {
            "acknowledged: \(whole.filter(\.acknowledged).count), temporary: \(temporaryFiles(uploads)), stored: \(storedFiles(uploads)), log: \(depot.stderr.suffix(3000))"
        }) {
            whole.contains { $0.acknowledged } && temporaryFiles(uploads).count >= stalled.count
        }
        await depot.stop(signal: SIGKILL)
        let answered = await replies.value
        for upload in stalled { upload.close() }
        let acknowledged = Set(answered.values.compactMap(RawUpload.fileID))
        #expect(!acknowledged.isEmpty)
        #expect(!temporaryFiles(uploads).isEmpty, "the crash left no temporary file: the test proves nothing")

        depot = try await DepotProcess.start(environment)
        try? await waitFor("no temporary files after the restart", timeout: 10, detail: { "\(temporaryFiles(uploads))" }) {
            temporaryFiles(uploads).isEmpty
        }
        let db = try await database.open()
        let rows = try await db.query("SELECT id, filename_disk FROM directus_files")
        let pending = try await db.query("SELECT id FROM depot_pending_uploads")
        await db.close()
        let objects = Set(storedFiles(uploads))
        let named = Set(rows.compactMap { $0["filename_disk"].string })
        let ids = Set(rows.compactMap { $0["id"].string })
        #expect(named.subtracting(objects).isEmpty, "rows without their bytes: \(named.subtracting(objects))")
        #expect(objects.subtracting(named).isEmpty, "objects without a row: \(objects.subtracting(named))")
        #expect(acknowledged.subtracting(ids).isEmpty, "acknowledged uploads lost: \(acknowledged.subtracting(ids))")
        #expect(pending.isEmpty)
        // What survived is whole and served.
        for id in acknowledged {
            let asset = try await depot.request("GET", "/assets/\(id)", token: try await depot.adminToken())
            #expect(asset.status == 200 && asset.body.count == 512 << 10)
        }
    }

    // MARK: depot storage check

    @Test(arguments: StorageKind.allCases)
    func storageCheckListsOrphansAndRemovesOrphanObjects(kind: StorageKind) async throws {
        guard let server = try await FilesHTTPTests.server(withS3: kind == .s3) else { return }
        defer { Task { await server.stop() } }
        let location = kind.rawValue
        let environment = server.depot.process.environment ?? [:]
        let driver: any StorageDriver = kind == .s3 ? try #require(server.s3) : try LocalDriver(root: server.uploads, threads: .singleton)

        func upload(_ name: String) async throws -> (id: String, key: String) {
            let (body, headers) = FilesHTTPTests.multipart([("storage", location)], files: [(name, "text/plain", Data("bytes of \(name)".utf8))])
            let reply = try await server.depot.request("POST", "/files", body: body, headers: headers, token: server.token)
            #expect(reply.status == 200, "\(reply.text)")
            return (try #require(reply.json["data"]?["id"]?.stringValue), try #require(reply.json["data"]?["filename_disk"]?.stringValue))
        }
        func put(_ key: String) async throws {
            _ = try await driver.write(key, body: TestStorage.stream(ByteBuffer(string: "planted")), options: WriteOptions(contentType: "text/plain"))
        }
        let kept = try await upload("kept.txt")
        let lost = try await upload("lost.txt")
        try await driver.delete(lost.key)                                  // a row without its object
        let orphan = UUID().uuidString.lowercased() + ".txt"
        try await put(orphan)                                              // an object without a row
        let goneFile = UUID().uuidString.lowercased()
        let orphanDerivative = "\(goneFile)__0123abcd.webp"
        try await put(orphanDerivative)                                    // a derivative of no file
        let derivative = "\(kept.id)__0123abcd.webp"
        try await put(derivative)                                          // a derivative of a file: not an orphan
        // A temporary file of a write that stopped long ago (no writer tag: only its age tells).
        let temporary = ".tmp-" + UUID().uuidString.lowercased()
        #expect(FileManager.default.createFile(atPath: server.uploads + "/" + temporary, contents: Data("partial".utf8),
                                       attributes: [.modificationDate: Date().addingTimeInterval(-3 * 86_400)]))

        let listed = try await Self.depot(["storage", "check"], environment)
        #expect(listed.status == 0, "\(listed.stderr)")
        let lines = Set(listed.lines)
        #expect(lines.contains("orphan-object \(location) \(orphan)"), "\(listed.stdout)")
        #expect(lines.contains("orphan-derivative \(location) \(orphanDerivative) file=\(goneFile)"), "\(listed.stdout)")
        #expect(lines.contains("missing-object \(location) \(lost.key) file=\(lost.id)"), "\(listed.stdout)")
        #expect(lines.contains("temporary-file local \(temporary)"), "\(listed.stdout)")
        #expect(!listed.stdout.contains(kept.key) && !listed.stdout.contains(derivative), "\(listed.stdout)")
        #expect(listed.lines.last?.hasPrefix("storage check: ") == true)
        #expect(listed.lines.last?.contains("1 orphan-object") == true, "\(listed.stdout)")
        #expect(try await driver.stat(orphan) != nil)
        #expect(try await driver.stat(orphanDerivative) != nil)

        let removed = try await Self.depot(["storage", "check", "--location", location, "--remove"], environment)
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(Set(removed.lines).contains("orphan-object \(location) \(orphan) removed"), "\(removed.stdout)")
        #expect(Set(removed.lines).contains("orphan-derivative \(location) \(orphanDerivative) file=\(goneFile) removed"), "\(removed.stdout)")
        #expect(Set(removed.lines).contains("missing-object \(location) \(lost.key) file=\(lost.id)"), "\(removed.stdout)")
        #expect(try await driver.stat(orphan) == nil)
        #expect(try await driver.stat(orphanDerivative) == nil)
        #expect(try await driver.stat(kept.key) != nil)
        #expect(try await driver.stat(derivative) != nil)
        // Rows are never removed: the row without bytes is still there, and listed again.
        #expect(try await server.depot.request("GET", "/files/\(lost.id)", token: server.token).status == 200)
        let again = try await Self.depot(["storage", "check"], environment)
        #expect(again.lines == (kind == .local ? [] : ["temporary-file local \(temporary)"])
                + ["missing-object \(location) \(lost.key) file=\(lost.id)"]
                + ["storage check: 1 missing-object" + (kind == .local ? "" : ", 1 temporary-file")], "\(again.stdout)")
    }

    // MARK: Support

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// Runs the depot binary to its end with `environment` (the one a server of the test was started with).
    static func depot(_ arguments: [String], _ environment: [String: String]) async throws -> Run {
        let directory = try TempDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: DepotProcess.binary)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        FileManager.default.createFile(atPath: directory + "/out", contents: nil)
        FileManager.default.createFile(atPath: directory + "/err", contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/err"))
        try process.run()
        await DepotProcess.waitForExit(process, timeout: 120)
        if process.isRunning { process.terminate() }
        return Run(status: process.terminationStatus,
                   stdout: (try? String(contentsOfFile: directory + "/out", encoding: .utf8)) ?? "",
                   stderr: (try? String(contentsOfFile: directory + "/err", encoding: .utf8)) ?? "")
    }
}

/// Waits for `condition`, checking every 20 ms, at most `timeout` seconds.
func waitFor(_ what: String, timeout: Double = 60, detail: () -> String = { "" }, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting for \(what) \(detail())")
    throw CancellationError()
}

/// Regular files under `root`, relative, temporary files excluded.
private func storedFiles(_ root: String) -> [String] {
    (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { path in
        var isDirectory: ObjCBool = false
        return !(path as NSString).lastPathComponent.hasPrefix(".tmp-")
            && FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}

private func temporaryFiles(_ root: String) -> [String] {
    (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { ($0 as NSString).lastPathComponent.hasPrefix(".tmp-") }
}

/// A multipart `POST /files` over a plain socket, sent in two steps so that it can stall half-way. Blocking
/// socket calls run on the upload's own dispatch queue.
final class RawUpload: @unchecked Sendable {
    private let fd: Int32
    private let request: [UInt8]
    private let headCount: Int
    private var sent = 0
    private let queue = DispatchQueue(label: "raw-upload")
    private let lock = NSLock()
    private var answered = false

    init?(port: Int, token: String, size: Int, seed: UInt64) {
        let boundary = "depot-crash-\(seed)"
        var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"crash-\(seed).bin\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += Array(TestStorage.bytes(size, seed: seed).readableBytesView)
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        let head = "POST /files HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n"
            + "Content-Type: multipart/form-data; boundary=\(boundary)\r\nContent-Length: \(body.count)\r\n\r\n"
        request = Array(head.utf8) + body
        headCount = head.utf8.count
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: in_port_t(UInt16(port).bigEndian),
                                  sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { Glibc.close(fd); return nil }
    }

    /// Sends the head and the first `bodyBytes` of the body (nil: everything).
    func send(upTo bodyBytes: Int?) async {
        let end = bodyBytes.map { min(request.count, headCount + $0) } ?? request.count
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                while self.sent < end {
                    let n = self.request[self.sent..<end].withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if n <= 0 { break }
                    self.sent += n
                }
                continuation.resume()
            }
        }
    }

    var acknowledged: Bool { lock.withLock { answered } }

    /// What the server answers until it closes the connection (or dies).
    func reply() async -> String {
        await withCheckedContinuation { continuation in
            queue.async {
                var received: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = recv(self.fd, &buffer, buffer.count, 0)
                    if n <= 0 { break }
                    received += buffer.prefix(n)
                    if String(decoding: received, as: UTF8.self).hasPrefix("HTTP/1.1 200") { self.lock.withLock { self.answered = true } }
                }
                continuation.resume(returning: String(decoding: received, as: UTF8.self))
            }
        }
    }

    func close() { Glibc.close(fd) }

    /// The id of the file an answer reports, when it is a success.
    static func fileID(_ reply: String) -> String? {
        guard reply.hasPrefix("HTTP/1.1 200"), let match = reply.firstMatch(of: /"id":"([0-9a-f-]{36})"/) else { return nil }
        return String(match.1)
    }
}
