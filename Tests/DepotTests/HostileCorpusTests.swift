import CMS
import Foundation
import Testing

/// Fixtures/hostile (see its README.md): every file of manifest.json through one real depot — uploaded to
/// POST /files then transformed at /assets/:id, or sent raw as a request body — answered as the manifest allows,
/// never with a 5xx other than 503; the server still answers /server/ping after each file and its peak RSS
/// (VmHWM in /proc/<pid>/status, reset before each file when the test may write /proc/<pid>/clear_refs) stays
/// under the manifest's limit. Fixtures/hostile/run.py makes the same checks against any running server.
@Suite struct HostileCorpusTests {
    struct Manifest: Decodable {
        struct Limits: Decodable { let rssMb: Int }
        struct Transform: Decodable {
            let query: String
            let expect: [String]
        }
        struct Entry: Decodable {
            let file: String
            let send: String              // "upload" or "body"
            let filename: String?
            let type: String?
            let upload: [String]?
            let original: [String]?
            let transforms: [Transform]?
            let method: String?
            let path: String?
            let contentType: String?
            let expect: [String]?
            let note: String
        }
        let limits: Limits
        let entries: [Entry]
    }

    static let directory = Repository.fixture("hostile")

    static func manifest() throws -> Manifest {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json")))
    }

    /// What one file led to: the steps taken (for the log) and what went wrong.
    final class Outcome {
        var steps: [String] = []
        var problems: [String] = []

        /// Records `reply` (nil: the connection failed) against the answers `expect` allows.
        func check(_ step: String, _ reply: DepotProcess.Reply?, _ expect: [String]?, original: Data? = nil) {
            guard let reply else {
                steps.append("\(step) no answer")
                problems.append("\(step): the connection failed")
                return
            }
            let same = original != nil && (200..<300).contains(reply.status) && reply.body == original
            steps.append("\(step) \(reply.status)\(same ? " same" : "")")
            if reply.status >= 500 && reply.status != 503 {
                problems.append("\(step): \(reply.status) (a server error): \(reply.text.prefix(200))")
            } else if let expect, !HostileCorpusTests.accepts(reply, expect, original: original) {
                problems.append("\(step): \(reply.status), expected \(expect.joined(separator: "/"))")
            }
        }
    }

    /// `expect` holds classes ("2xx"), statuses ("503"), or "same": a 2xx whose body is the original, untouched.
    static func accepts(_ reply: DepotProcess.Reply, _ expect: [String], original: Data?) -> Bool {
        if expect.contains("same"), (200..<300).contains(reply.status), let original, reply.body == original { return true }
        return expect.contains(String(reply.status)) || expect.contains("\(reply.status / 100)xx")
    }

    static let activeTypes: Set<String> = ["text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
                                           "text/javascript", "application/javascript", "application/ecmascript"]

    /// A 2xx from /assets: active content only under a sandbox CSP, always nosniff, never /etc/passwd.
    static func servedSafely(_ reply: DepotProcess.Reply?, _ step: String, into outcome: Outcome) {
        guard let reply, (200..<300).contains(reply.status) else { return }
        let type = (reply.header("content-type") ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if activeTypes.contains(type) && !(reply.header("content-security-policy") ?? "").contains("sandbox") {
            outcome.problems.append("\(step): \(type) served without a sandbox CSP")
        }
        if reply.header("x-content-type-options")?.lowercased() != "nosniff" {
            outcome.problems.append("\(step): no X-Content-Type-Options: nosniff")
        }
        if reply.body.range(of: Data("root:x:0:0".utf8)) != nil {
            outcome.problems.append("\(step): the body holds /etc/passwd")
        }
    }

    /// The files a 2xx from POST /files created (one object or an array of them).
    static func createdFiles(_ reply: DepotProcess.Reply?) -> [JSONValue] {
        guard let reply, (200..<300).contains(reply.status), let data = reply.json["data"] else { return [] }
        let rows = data.arrayItems ?? [data]
        return rows.filter { $0["id"]?.stringValue != nil }
    }

    // MARK: /proc

    /// A `kB` line of /proc/<pid>/status, in MB; nil where there is no /proc or no such process.
    static func memory(_ pid: Int32, _ key: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
            return kilobytes / 1024
        }
        return nil
    }

    /// Resets VmHWM to the current RSS (writing 5 to clear_refs); false when not allowed (then VmHWM is the peak
    /// since the process started, which must stay under the limit all the same).
    static func resetPeak(_ pid: Int32) -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/\(pid)/clear_refs") else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("5".utf8))) != nil
    }

    // MARK: the test

    @Test func everyHostileInputIsAnsweredWithoutHarm() async throws {
        let manifest = try Self.manifest()
        #expect(manifest.entries.count >= 40)
        guard let server = try await FilesHTTPTests.server() else { return }
        defer { Task { await server.stop() } }
        let depot = server.depot, token = server.token
        let pid = depot.process.processIdentifier
        let perFile = Self.resetPeak(pid)

        func send(_ method: String, _ path: String, body: Data? = nil, json: JSONValue? = nil,
                  headers: [String: String] = [:]) async -> DepotProcess.Reply? {
            try? await depot.request(method, path, json: json, body: body, headers: headers, token: token)
        }

        for entry in manifest.entries {
            if perFile { _ = Self.resetPeak(pid) }
            let data = try Data(contentsOf: URL(fileURLWithPath: Self.directory + "/" + entry.file))
            let outcome = Outcome()

            if entry.send == "upload" {
                let (body, headers) = FilesHTTPTests.multipart([], files: [(entry.filename ?? entry.file, entry.type ?? "application/octet-stream", data)])
                let up = await send("POST", "/files", body: body, headers: headers)
                outcome.check("upload", up, entry.upload)
                for file in Self.createdFiles(up) {
                    let id = file["id"]!.stringValue!
                    let original = await send("GET", "/assets/\(id)")
                    outcome.check("original", original, entry.original)
                    Self.servedSafely(original, "original", into: outcome)
                    for transform in entry.transforms ?? [] {
                        let reply = await send("GET", "/assets/\(id)\(transform.query)")
                        outcome.check(transform.query, reply, transform.expect, original: data)
                        Self.servedSafely(reply, transform.query, into: outcome)
                    }
                    outcome.check("delete", await send("DELETE", "/files/\(id)"), ["2xx"])
                }
            } else {
                let method = entry.method ?? "POST", path = entry.path ?? "/files"
                let reply = await send(method, path, body: data, headers: ["Content-Type": entry.contentType ?? "application/octet-stream"])
                outcome.check("\(method) \(path)", reply, entry.expect)
                if path == "/files" {
                    let created = Self.createdFiles(reply)
                    for file in created {
                        let disk = file["filename_disk"]?.stringValue ?? ""
                        if disk.contains("/") || disk.contains("..") { outcome.problems.append("filename_disk \(disk) leaves the storage root") }
                    }
                    if !created.isEmpty {
                        let ids = created.compactMap { $0["id"]?.stringValue }.map { JSONValue.string($0) }
                        outcome.check("delete \(ids.count)", await send("DELETE", "/files", json: .array(ids)), ["2xx"])
                    }
                } else if let reply, (200..<300).contains(reply.status), let id = reply.json["data"]?["id"]?.stringValue {
                    _ = await send("DELETE", "\(path)/\(id)")
                }
            }

            // Alive: the process runs and answers /server/ping (within 15 s: a transform may still be finishing).
            var alive = false
            let deadline = Date().addingTimeInterval(15)
            while depot.process.isRunning && !alive && Date() < deadline {
                if let ping = await send("GET", "/server/ping"), ping.status == 200 { alive = true } else { try await Task.sleep(for: .milliseconds(250)) }
            }
            if !alive { outcome.problems.append("the server died or stopped answering /server/ping") }
            let peak = Self.memory(pid, "VmHWM")
            if let peak, peak > manifest.limits.rssMb {
                outcome.problems.append("peak RSS \(peak) MB > \(manifest.limits.rssMb) MB\(perFile ? "" : " (since start)")")
            }

            print("hostile \(entry.file): \(outcome.steps.joined(separator: " | ")); peak \(peak.map { "\($0) MB" } ?? "unknown")")
            #expect(outcome.problems.isEmpty, "\(entry.file) (\(entry.note)): \(outcome.problems.joined(separator: "; "))")
            if !alive {
                Issue.record("stopping after \(entry.file): the server is gone. \(depot.stderr.suffix(2000))")
                return
            }
        }
    }
}
